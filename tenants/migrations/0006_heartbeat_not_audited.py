from django.db import migrations

import tenants.rls

# The heartbeat is rewritten every minute by the scheduled work: housekeeping, not the tenant's
# data. Its audit trigger filled the audit log with one entry a minute.
TABLE = "tenants_tenantheartbeat"


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0005_tenant_keys'),
    ]

    operations = [
        migrations.RunSQL(
            f'DROP TRIGGER IF EXISTS {tenants.rls.AUDIT_TRIGGER} ON "{TABLE}"',
            tenants.rls.audit_trigger_sql(TABLE, "tenants.TenantHeartbeat", ()),
        ),
    ]
