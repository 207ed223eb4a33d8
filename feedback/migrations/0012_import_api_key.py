"""Imports uploaded by API key: the key that uploaded the file (its rows become that key's signals)."""

import django.db.models.deletion
from django.db import migrations

import tenants.keys


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0011_imports_correct"),
        ("tenants", "0011_followup_settings"),
    ]

    operations = [
        migrations.AddField(
            model_name="signalimport",
            name="api_key",
            field=tenants.keys.TenantForeignKey(
                blank=True,
                help_text="The API key that uploaded the file (its rows are that key's signals); "
                "empty when a member did.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="tenants.apikey",
            ),
        ),
        tenants.keys.TenantForeignKeys("signalimport"),
    ]
