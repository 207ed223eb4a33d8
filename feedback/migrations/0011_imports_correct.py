"""Imports that correct: a re-imported row with other values updates its signal; stories by CSV.

``duplicate_count`` becomes ``unchanged_count`` (rows stored before, with the same values);
``updated_count`` counts the rows corrected.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0010_calendars_clocks"),
    ]

    operations = [
        migrations.RenameField(model_name="signalimport", old_name="duplicate_count", new_name="unchanged_count"),
        migrations.AlterField(
            model_name="signalimport",
            name="unchanged_count",
            field=models.PositiveIntegerField(
                default=0, help_text="Rows stored before with the same values: skipped."
            ),
        ),
        migrations.AddField(
            model_name="signalimport",
            name="updated_count",
            field=models.PositiveIntegerField(
                default=0, help_text="Rows stored before (same external_id) whose values this import corrected."
            ),
        ),
        migrations.AlterField(
            model_name="signalimport",
            name="kind",
            field=models.CharField(
                choices=[
                    ("stories", "Stories"),
                    ("survey_responses", "Survey responses"),
                    ("service_events", "Service events"),
                ],
                max_length=20,
            ),
        ),
    ]
