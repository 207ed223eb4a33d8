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
    ]

    # Tenant-first keys, so that every tenant table can be sharded by tenant (tenants/keys.py),
    # and the tenant policy without its sub-select (tenants/rls.py).
    operations = [
        tenants.rls.RecreateTenantPolicies(),
        tenants.keys.TenantPrimaryKey("apikey"),
        tenants.keys.TenantPrimaryKey("auditevent"),
        tenants.keys.TenantPrimaryKey("department"),
        tenants.keys.TenantPrimaryKey("invitation"),
        tenants.keys.TenantPrimaryKey("membership"),
        tenants.keys.TenantPrimaryKey("membershipdepartment"),
        tenants.keys.TenantPrimaryKey("outboxbody"),
        tenants.keys.TenantPrimaryKey("outboxmessage"),
        tenants.keys.TenantPrimaryKey("tenantheartbeat"),
        tenants.keys.TenantPrimaryKey("touchpoint"),
        # The references become TenantForeignKeys: the database constraints are the composite ones.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='apikey',
                    name='created_by',
                    field=tenants.keys.TenantForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tenants.membership'),
                ),
                migrations.AlterField(
                    model_name='invitation',
                    name='invited_by',
                    field=tenants.keys.TenantForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tenants.membership'),
                ),
                migrations.AlterField(
                    model_name='membershipdepartment',
                    name='department',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, to='tenants.department'),
                ),
                migrations.AlterField(
                    model_name='membershipdepartment',
                    name='membership',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, to='tenants.membership'),
                ),
                migrations.AlterField(
                    model_name='outboxmessage',
                    name='body',
                    field=tenants.keys.TenantForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.RESTRICT, related_name='+', to='tenants.outboxbody'),
                ),
            ],
        ),
        tenants.keys.TenantForeignKeys("apikey"),
        tenants.keys.TenantForeignKeys("invitation"),
        tenants.keys.TenantForeignKeys("membershipdepartment"),
        tenants.keys.TenantForeignKeys("outboxmessage"),
    ]
