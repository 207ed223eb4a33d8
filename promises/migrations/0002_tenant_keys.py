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
    ]

    # Tenant-first keys, so that every tenant table can be sharded by tenant (tenants/keys.py),
    # and the tenant policy without its sub-select (tenants/rls.py).
    operations = [
        tenants.rls.RecreateTenantPolicies(),
        tenants.keys.TenantPrimaryKey("commitment"),
        tenants.keys.TenantPrimaryKey("commitmentversion"),
        tenants.keys.TenantPrimaryKey("measure"),
        tenants.keys.TenantPrimaryKey("promise"),
        tenants.keys.TenantPrimaryKey("promisecontributor"),
        tenants.keys.TenantPrimaryKey("promiseversion"),
        tenants.keys.TenantPrimaryKey("signoff"),
        # The references become TenantForeignKeys: the database constraints are the composite ones.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='commitment',
                    name='created_by',
                    field=tenants.keys.TenantForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tenants.membership'),
                ),
                migrations.AlterField(
                    model_name='commitment',
                    name='measure',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.RESTRICT, related_name='commitments', to='promises.measure'),
                ),
                migrations.AlterField(
                    model_name='commitment',
                    name='promise',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='commitments', to='promises.promise'),
                ),
                migrations.AlterField(
                    model_name='commitment',
                    name='touchpoint',
                    field=tenants.keys.TenantForeignKey(blank=True, help_text='Empty: signals from every touchpoint count.', null=True, on_delete=django.db.models.deletion.RESTRICT, related_name='commitments', to='tenants.touchpoint'),
                ),
                migrations.AlterField(
                    model_name='commitmentversion',
                    name='commitment',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='versions', to='promises.commitment'),
                ),
                migrations.AlterField(
                    model_name='commitmentversion',
                    name='created_by',
                    field=tenants.keys.TenantForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tenants.membership'),
                ),
                migrations.AlterField(
                    model_name='promise',
                    name='created_by',
                    field=tenants.keys.TenantForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tenants.membership'),
                ),
                migrations.AlterField(
                    model_name='promise',
                    name='owner',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.RESTRICT, related_name='owned_promises', to='tenants.department'),
                ),
                migrations.AlterField(
                    model_name='promise',
                    name='parent',
                    field=tenants.keys.TenantForeignKey(blank=True, help_text='The brand promise this customer promise activates.', null=True, on_delete=django.db.models.deletion.RESTRICT, related_name='children', to='promises.promise'),
                ),
                migrations.AlterField(
                    model_name='promisecontributor',
                    name='department',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.RESTRICT, related_name='+', to='tenants.department'),
                ),
                migrations.AlterField(
                    model_name='promisecontributor',
                    name='promise',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='contributions', to='promises.promise'),
                ),
                migrations.AlterField(
                    model_name='promiseversion',
                    name='created_by',
                    field=tenants.keys.TenantForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tenants.membership'),
                ),
                migrations.AlterField(
                    model_name='promiseversion',
                    name='promise',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='versions', to='promises.promise'),
                ),
                migrations.AlterField(
                    model_name='signoff',
                    name='decided_by',
                    field=tenants.keys.TenantForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.RESTRICT, related_name='+', to='tenants.membership'),
                ),
                migrations.AlterField(
                    model_name='signoff',
                    name='department',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.RESTRICT, related_name='+', to='tenants.department'),
                ),
                migrations.AlterField(
                    model_name='signoff',
                    name='promise',
                    field=tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sign_offs', to='promises.promise'),
                ),
            ],
        ),
        tenants.keys.TenantForeignKeys("commitment"),
        tenants.keys.TenantForeignKeys("commitmentversion"),
        tenants.keys.TenantForeignKeys("promise"),
        tenants.keys.TenantForeignKeys("promisecontributor"),
        tenants.keys.TenantForeignKeys("promiseversion"),
        tenants.keys.TenantForeignKeys("signoff"),
    ]
