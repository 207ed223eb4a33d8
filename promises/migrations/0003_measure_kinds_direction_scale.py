"""Rate and average measures beside durations (scoring.md, version 2): a measure's kind may be
``rate`` or ``average``, every measure has a direction and a perspective, and an average
declares its scale ``[scale_min, scale_max]``. Existing measures keep their meaning: higher is
better, operational (the built-ins' perspective is fixed to perceived by the code).
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('promises', '0002_tenant_keys'),
        ('tenants', '0005_tenant_keys'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='measure',
            name='measure_builtin_or_duration',
        ),
        migrations.AddField(
            model_name='measure',
            name='direction',
            field=models.CharField(choices=[('higher_is_better', 'Higher is better'), ('lower_is_better', 'Lower is better')], default='higher_is_better', help_text='Lower is better: a smaller value is the better one (e.g. the share of blocked sign-ins).', max_length=16),
        ),
        migrations.AddField(
            model_name='measure',
            name='perspective',
            field=models.CharField(choices=[('operational', 'Operational'), ('perceived', 'Perceived')], default='operational', help_text='Operational (what the company measures) or perceived (what customers say): the side of the perception gap its commitments count on.', max_length=16),
        ),
        migrations.AddField(
            model_name='measure',
            name='scale_max',
            field=models.DecimalField(blank=True, decimal_places=3, max_digits=9, null=True),
        ),
        migrations.AddField(
            model_name='measure',
            name='scale_min',
            field=models.DecimalField(blank=True, decimal_places=3, max_digits=9, null=True),
        ),
        migrations.AlterField(
            model_name='measure',
            name='kind',
            field=models.CharField(choices=[('survey', 'Survey'), ('duration', 'Duration'), ('rate', 'Rate'), ('average', 'Average'), ('stories', 'Stories')], max_length=16),
        ),
        migrations.AddConstraint(
            model_name='measure',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('is_builtin', False), ('kind__in', ['duration', 'rate', 'average'])), models.Q(('is_builtin', True), ('key__in', ['ces', 'csat', 'nps', 'story_sentiment'])), _connector='OR'), name='measure_builtin_or_tenant_kind'),
        ),
        migrations.AddConstraint(
            model_name='measure',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'average'), ('scale_max__isnull', False), ('scale_min__isnull', False), ('scale_min__lt', models.F('scale_max'))), models.Q(models.Q(('kind', 'average'), _negated=True), ('scale_max__isnull', True), ('scale_min__isnull', True)), _connector='OR'), name='measure_scale_matches_kind'),
        ),
        migrations.AddConstraint(
            model_name='measure',
            constraint=models.CheckConstraint(condition=models.Q(('direction__in', ['higher_is_better', 'lower_is_better']), ('perspective__in', ['operational', 'perceived'])), name='measure_direction_perspective_known'),
        ),
    ]
