"""A certified roster never changes: the database refuses to update or delete its rows (PostgreSQL)."""

from django.db import migrations

FORBID = """
CREATE TRIGGER census_snapshotrow_append_only
    BEFORE UPDATE OR DELETE ON census_snapshotrow
    FOR EACH ROW EXECUTE FUNCTION opendmc_forbid_change();
"""
ALLOW = "DROP TRIGGER IF EXISTS census_snapshotrow_append_only ON census_snapshotrow;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORBID)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ALLOW)


class Migration(migrations.Migration):
    dependencies = [("census", "0001_initial"), ("schools", "0003_audit_immutable")]

    operations = [migrations.RunPython(forward, backward)]
