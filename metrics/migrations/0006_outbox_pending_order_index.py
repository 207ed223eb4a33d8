"""An index for the outbox's claim query, which digests make hot.

``tenants.outbox.outbox_deliver`` claims the oldest pending message with ``ORDER BY id LIMIT 1
FOR UPDATE SKIP LOCKED``. With only the (tenant, next_attempt_at) index, PostgreSQL reads and
sorts every pending message of the tenant (bodies included) for each claim: a digest run that
queues 5,000 e-mails made each claim sort 5,000 rows (about 19 ms; quadratic over the batch).
This partial index gives the pending messages in id order, so a claim reads one row (0.2 ms).

Created here, next to what needs it, without touching the outbox model's state (RunSQL); it
can move into ``OutboxMessage.Meta.indexes`` with the same name.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0005_month_rollups"),
        ("tenants", "0003_outbox"),
    ]

    operations = [
        migrations.RunSQL(
            sql='CREATE INDEX IF NOT EXISTS "outbox_pending_order_idx" ON "tenants_outboxmessage" '
            '("tenant_id", "id") WHERE "status" = \'pending\'',
            reverse_sql='DROP INDEX IF EXISTS "outbox_pending_order_idx"',
        ),
    ]
