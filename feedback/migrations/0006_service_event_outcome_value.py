"""A service event carries the fact its measure's kind needs: ``duration_seconds``, ``outcome``
or ``value``, exactly one of them."""

import django.db.models.deletion
import tenants.keys
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('feedback', '0005_signal_import_heartbeat'),
        ('promises', '0003_measure_kinds_direction_scale'),
        ('tenants', '0005_tenant_keys'),
    ]

    operations = [
        migrations.AddField(
            model_name='serviceevent',
            name='outcome',
            field=models.BooleanField(blank=True, help_text='Rate measures: whether it happened.', null=True),
        ),
        migrations.AddField(
            model_name='serviceevent',
            name='value',
            field=models.DecimalField(blank=True, decimal_places=3, help_text="Average measures: on the measure's declared scale.", max_digits=9, null=True),
        ),
        migrations.AlterField(
            model_name='serviceevent',
            name='duration_seconds',
            field=models.BigIntegerField(blank=True, help_text='Duration measures.', null=True),
        ),
        migrations.AlterField(
            model_name='serviceevent',
            name='measure',
            field=tenants.keys.TenantForeignKey(limit_choices_to={'kind__in': ['duration', 'rate', 'average']}, on_delete=django.db.models.deletion.RESTRICT, related_name='service_events', to='promises.measure'),
        ),
        migrations.AddConstraint(
            model_name='serviceevent',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('duration_seconds__isnull', False), ('outcome__isnull', True), ('value__isnull', True)), models.Q(('duration_seconds__isnull', True), ('outcome__isnull', False), ('value__isnull', True)), models.Q(('duration_seconds__isnull', True), ('outcome__isnull', True), ('value__isnull', False)), _connector='OR'), name='service_event_one_fact'),
        ),
    ]
