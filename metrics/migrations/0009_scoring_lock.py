import django.db.models.deletion
import tenants.keys
import tenants.rls
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('metrics', '0008_row_rollup_triggers'),
        ('tenants', '0005_tenant_keys'),
    ]

    operations = [
        migrations.CreateModel(
            name='ScoringLock',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.tenant')),
            ],
            options={
                'constraints': [models.UniqueConstraint(models.F('tenant'), name='scoring_lock_one_per_tenant')],
            },
        ),
        tenants.rls.SecureTenantTable("scoringlock", audit=False),
        tenants.keys.TenantPrimaryKey("scoringlock"),
        tenants.keys.TenantForeignKeys("scoringlock"),
    ]
