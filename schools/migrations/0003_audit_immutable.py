"""Make the audit trail append-only in the database itself (PostgreSQL; SQLite is the demo default)."""

from django.db import migrations

FORBID = """
CREATE OR REPLACE FUNCTION opendmc_forbid_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only (%% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER schools_auditentry_append_only
    BEFORE UPDATE OR DELETE ON schools_auditentry
    FOR EACH ROW EXECUTE FUNCTION opendmc_forbid_change();
"""
ALLOW = """
DROP TRIGGER IF EXISTS schools_auditentry_append_only ON schools_auditentry;
DROP FUNCTION IF EXISTS opendmc_forbid_change();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORBID)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ALLOW)


class Migration(migrations.Migration):
    dependencies = [("schools", "0002_roster_menus")]

    operations = [migrations.RunPython(forward, backward)]
