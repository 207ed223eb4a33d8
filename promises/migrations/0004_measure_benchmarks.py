"""Benchmarks per measure: values a tenant compares its measures against, on each measure's scale."""

import django.db.models.deletion
import django.db.models.functions.text
import tenants.keys
import tenants.rls
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('promises', '0003_measure_kinds_direction_scale'),
        ('tenants', '0006_heartbeat_not_audited'),
    ]

    operations = [
        migrations.CreateModel(
            name='MeasureBenchmark',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('label', models.CharField(help_text='What the value is, e.g. Industry average.', max_length=80)),
                ('value', models.DecimalField(decimal_places=3, help_text="On the measure's scale.", max_digits=9)),
                ('source', models.CharField(blank=True, default='', help_text='Where the value comes from, e.g. a study and its year.', max_length=200)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('measure', tenants.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='benchmarks', to='promises.measure')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.tenant')),
            ],
            options={
                'ordering': ['measure', 'label', 'id'],
                'constraints': [models.UniqueConstraint(models.F('tenant'), models.F('measure'), django.db.models.functions.text.Lower('label'), name='measure_benchmark_unique_label')],
            },
        ),
        tenants.rls.SecureTenantTable("measurebenchmark"),
        tenants.keys.TenantPrimaryKey("measurebenchmark"),
        tenants.keys.TenantForeignKeys("measurebenchmark"),
    ]
