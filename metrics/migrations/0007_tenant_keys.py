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
        ('feedback', '0004_tenant_keys'),
    ]

    # Tenant-first keys, so that every tenant table can be sharded by tenant (tenants/keys.py),
    # and the tenant policy without its sub-select (tenants/rls.py).
    operations = [
        tenants.rls.RecreateTenantPolicies(),
        tenants.keys.TenantPrimaryKey("breachevent"),
        tenants.keys.TenantPrimaryKey("departmentdigest"),
        tenants.keys.TenantPrimaryKey("digest"),
        tenants.keys.TenantPrimaryKey("digestoptout"),
        tenants.keys.TenantPrimaryKey("digestsettings"),
        tenants.keys.TenantPrimaryKey("digestsubscriber"),
        tenants.keys.TenantPrimaryKey("durationthreshold"),
        tenants.keys.TenantPrimaryKey("scorerun"),
        tenants.keys.TenantPrimaryKey("scoresnapshot"),
        tenants.keys.TenantPrimaryKey("serviceeventmonthrollup"),
        tenants.keys.TenantPrimaryKey("serviceeventrollup"),
        tenants.keys.TenantPrimaryKey("serviceeventwithinmonthrollup"),
        tenants.keys.TenantPrimaryKey("serviceeventwithinrollup"),
        tenants.keys.TenantPrimaryKey("storymonthrollup"),
        tenants.keys.TenantPrimaryKey("storyrollup"),
        tenants.keys.TenantPrimaryKey("surveymonthrollup"),
        tenants.keys.TenantPrimaryKey("surveyrollup"),
        # The references become TenantForeignKeys: the database constraints are the composite ones.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='breachevent',
                    name='commitment',
                    field=tenants.keys.TenantForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='breach_events', to='promises.commitment'),
                ),
                migrations.AlterField(
                    model_name='breachevent',
                    name='department',
                    field=tenants.keys.TenantForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='breach_events', to='tenants.department'),
                ),
                migrations.AlterField(
                    model_name='breachevent',
                    name='promise',
                    field=tenants.keys.TenantForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='promises.promise'),
                ),
                migrations.AlterField(
                    model_name='breachevent',
                    name='run',
                    field=tenants.keys.TenantForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='metrics.scorerun'),
                ),
                migrations.AlterField(
                    model_name='departmentdigest',
                    name='department',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.department'),
                ),
                migrations.AlterField(
                    model_name='digest',
                    name='department',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.department'),
                ),
                migrations.AlterField(
                    model_name='digestoptout',
                    name='department',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.department'),
                ),
                migrations.AlterField(
                    model_name='digestoptout',
                    name='membership',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.membership'),
                ),
                migrations.AlterField(
                    model_name='digestsubscriber',
                    name='added_by',
                    field=tenants.keys.TenantForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tenants.membership'),
                ),
                migrations.AlterField(
                    model_name='digestsubscriber',
                    name='department',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.department'),
                ),
                migrations.AlterField(
                    model_name='durationthreshold',
                    name='measure',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='promises.measure'),
                ),
                migrations.AlterField(
                    model_name='scoresnapshot',
                    name='run',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='snapshots', to='metrics.scorerun'),
                ),
                migrations.AlterField(
                    model_name='serviceeventmonthrollup',
                    name='measure',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='promises.measure'),
                ),
                migrations.AlterField(
                    model_name='serviceeventmonthrollup',
                    name='touchpoint',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.touchpoint'),
                ),
                migrations.AlterField(
                    model_name='serviceeventrollup',
                    name='measure',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='promises.measure'),
                ),
                migrations.AlterField(
                    model_name='serviceeventrollup',
                    name='touchpoint',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.touchpoint'),
                ),
                migrations.AlterField(
                    model_name='serviceeventwithinmonthrollup',
                    name='measure',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='promises.measure'),
                ),
                migrations.AlterField(
                    model_name='serviceeventwithinmonthrollup',
                    name='touchpoint',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.touchpoint'),
                ),
                migrations.AlterField(
                    model_name='serviceeventwithinrollup',
                    name='measure',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='promises.measure'),
                ),
                migrations.AlterField(
                    model_name='serviceeventwithinrollup',
                    name='touchpoint',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.touchpoint'),
                ),
                migrations.AlterField(
                    model_name='storymonthrollup',
                    name='promise',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='promises.promise'),
                ),
                migrations.AlterField(
                    model_name='storymonthrollup',
                    name='touchpoint',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.touchpoint'),
                ),
                migrations.AlterField(
                    model_name='storyrollup',
                    name='promise',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='promises.promise'),
                ),
                migrations.AlterField(
                    model_name='storyrollup',
                    name='touchpoint',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.touchpoint'),
                ),
                migrations.AlterField(
                    model_name='surveymonthrollup',
                    name='measure',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='promises.measure'),
                ),
                migrations.AlterField(
                    model_name='surveymonthrollup',
                    name='touchpoint',
                    field=tenants.keys.TenantForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.touchpoint'),
                ),
                migrations.AlterField(
                    model_name='surveyrollup',
                    name='measure',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='promises.measure'),
                ),
                migrations.AlterField(
                    model_name='surveyrollup',
                    name='touchpoint',
                    field=tenants.keys.TenantForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.touchpoint'),
                ),
            ],
        ),
        tenants.keys.TenantForeignKeys("breachevent"),
        tenants.keys.TenantForeignKeys("departmentdigest"),
        tenants.keys.TenantForeignKeys("digest"),
        tenants.keys.TenantForeignKeys("digestoptout"),
        tenants.keys.TenantForeignKeys("digestsubscriber"),
        tenants.keys.TenantForeignKeys("durationthreshold"),
        tenants.keys.TenantForeignKeys("scoresnapshot"),
        tenants.keys.TenantForeignKeys("serviceeventmonthrollup"),
        tenants.keys.TenantForeignKeys("serviceeventrollup"),
        tenants.keys.TenantForeignKeys("serviceeventwithinmonthrollup"),
        tenants.keys.TenantForeignKeys("serviceeventwithinrollup"),
        tenants.keys.TenantForeignKeys("storymonthrollup"),
        tenants.keys.TenantForeignKeys("storyrollup"),
        tenants.keys.TenantForeignKeys("surveymonthrollup"),
        tenants.keys.TenantForeignKeys("surveyrollup"),
    ]
