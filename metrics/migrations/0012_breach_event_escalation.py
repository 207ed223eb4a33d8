import django.db.models.deletion
from django.db import migrations, models

import tenants.keys

# Events escalated before this field existed: the escalation names its breach event
# (Escalation.breach_event_id). Row-level security applies to the owner too, so each tenant's
# rows are updated under that tenant's setting.
LINK_ESCALATED = """
DO $$
DECLARE t bigint;
BEGIN
    FOR t IN SELECT id FROM tenants_tenant LOOP
        PERFORM set_config('app.tenant_id', t::text, true);
        UPDATE metrics_breachevent b SET escalation_id = e.id
          FROM feedback_escalation e
         WHERE b.tenant_id = t AND e.tenant_id = t AND e.breach_event_id = b.id AND b.escalation_id IS NULL;
    END LOOP;
    PERFORM set_config('app.tenant_id', '', true);
END $$;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('feedback', '0007_signal_audit_per_write'),
        ('metrics', '0011_score_run_latest_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='breachevent',
            name='escalation',
            field=tenants.keys.TenantForeignKey(blank=True, db_index=False, help_text="The escalation opened for it, or the open one it joined: its state is the breach's.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='breach_events', to='feedback.escalation'),
        ),
        migrations.AddIndex(
            model_name='breachevent',
            index=models.Index(fields=['tenant', 'escalation'], name='breach_event_escalation_idx'),
        ),
        tenants.keys.TenantForeignKeys("breachevent"),
        migrations.RunSQL(LINK_ESCALATED, migrations.RunSQL.noop),
    ]
