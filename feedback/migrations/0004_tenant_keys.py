import django.db.models.deletion
import tenants.keys
import tenants.rls
from django.db import migrations


class Migration(migrations.Migration):

    # Every migration that created a table referencing a tenant table comes first: the
    # single-column keys it created are replaced here.
    dependencies = [
        ('tenants', '0004_outbox_shared_bodies'),
        ('promises', '0001_initial'),
        ('feedback', '0003_escalations'),
        ('metrics', '0006_rollup_day_indexes'),
        ('tenants', '0005_tenant_keys'),
        ('promises', '0002_tenant_keys'),
    ]

    # Tenant-first keys, so that every tenant table can be sharded by tenant (tenants/keys.py),
    # and the tenant policy without its sub-select (tenants/rls.py).
    operations = [
        tenants.rls.RecreateTenantPolicies(),
        tenants.keys.TenantPrimaryKey("escalation"),
        tenants.keys.TenantPrimaryKey("escalationentry"),
        tenants.keys.TenantPrimaryKey("escalationevidence"),
        tenants.keys.TenantPrimaryKey("escalationsettings"),
        tenants.keys.TenantPrimaryKey("idempotencyrecord"),
        tenants.keys.TenantPrimaryKey("serviceevent"),
        tenants.keys.TenantPrimaryKey("signalimport"),
        tenants.keys.TenantPrimaryKey("story"),
        tenants.keys.TenantPrimaryKey("storypromise"),
        tenants.keys.TenantPrimaryKey("surveyresponse"),
        # The references become TenantForeignKeys: the database constraints are the composite ones.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='escalation',
                    name='department',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.RESTRICT, related_name='escalations', to='tenants.department'),
                ),
                migrations.AlterField(
                    model_name='escalation',
                    name='owner',
                    field=tenants.keys.TenantForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='owned_escalations', to='tenants.membership'),
                ),
                migrations.AlterField(
                    model_name='escalation',
                    name='promise',
                    field=tenants.keys.TenantForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='escalations', to='promises.promise'),
                ),
                migrations.AlterField(
                    model_name='escalation',
                    name='proposed_by',
                    field=tenants.keys.TenantForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tenants.membership'),
                ),
                migrations.AlterField(
                    model_name='escalation',
                    name='proposed_by_key',
                    field=tenants.keys.TenantForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tenants.apikey'),
                ),
                migrations.AlterField(
                    model_name='escalation',
                    name='touchpoint',
                    field=tenants.keys.TenantForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='escalations', to='tenants.touchpoint'),
                ),
                migrations.AlterField(
                    model_name='escalationentry',
                    name='actor',
                    field=tenants.keys.TenantForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tenants.membership'),
                ),
                migrations.AlterField(
                    model_name='escalationentry',
                    name='escalation',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='entries', to='feedback.escalation'),
                ),
                migrations.AlterField(
                    model_name='escalationevidence',
                    name='escalation',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='evidence', to='feedback.escalation'),
                ),
                migrations.AlterField(
                    model_name='escalationevidence',
                    name='story',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='escalation_links', to='feedback.story'),
                ),
                migrations.AlterField(
                    model_name='idempotencyrecord',
                    name='api_key',
                    field=tenants.keys.TenantForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tenants.apikey'),
                ),
                migrations.AlterField(
                    model_name='serviceevent',
                    name='measure',
                    field=tenants.keys.TenantForeignKey(limit_choices_to={'kind': 'duration'}, on_delete=django.db.models.deletion.RESTRICT, related_name='service_events', to='promises.measure'),
                ),
                migrations.AlterField(
                    model_name='serviceevent',
                    name='touchpoint',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.RESTRICT, related_name='service_events', to='tenants.touchpoint'),
                ),
                migrations.AlterField(
                    model_name='signalimport',
                    name='created_by',
                    field=tenants.keys.TenantForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tenants.membership'),
                ),
                migrations.AlterField(
                    model_name='story',
                    name='department',
                    field=tenants.keys.TenantForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='stories', to='tenants.department'),
                ),
                migrations.AlterField(
                    model_name='story',
                    name='touchpoint',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.RESTRICT, related_name='stories', to='tenants.touchpoint'),
                ),
                migrations.AlterField(
                    model_name='storypromise',
                    name='promise',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='story_links', to='promises.promise'),
                ),
                migrations.AlterField(
                    model_name='storypromise',
                    name='story',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='promise_links', to='feedback.story'),
                ),
                migrations.AlterField(
                    model_name='surveyresponse',
                    name='measure',
                    field=tenants.keys.TenantForeignKey(limit_choices_to={'kind': 'survey'}, on_delete=django.db.models.deletion.RESTRICT, related_name='survey_responses', to='promises.measure'),
                ),
                migrations.AlterField(
                    model_name='surveyresponse',
                    name='touchpoint',
                    field=tenants.keys.TenantForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.RESTRICT, related_name='survey_responses', to='tenants.touchpoint'),
                ),
            ],
        ),
        tenants.keys.TenantForeignKeys("escalation"),
        tenants.keys.TenantForeignKeys("escalationentry"),
        tenants.keys.TenantForeignKeys("escalationevidence"),
        tenants.keys.TenantForeignKeys("idempotencyrecord"),
        tenants.keys.TenantForeignKeys("serviceevent"),
        tenants.keys.TenantForeignKeys("signalimport"),
        tenants.keys.TenantForeignKeys("story"),
        tenants.keys.TenantForeignKeys("storypromise"),
        tenants.keys.TenantForeignKeys("surveyresponse"),
    ]
