"""Make signed documents immutable in the database itself (PostgreSQL; SQLite is the demo default).

A row is never deleted, and once ready it is never updated; a pending annex may become ready or
failed (and a failed one ready, on a later retry).
"""

from django.db import migrations

FORBID = """
CREATE OR REPLACE FUNCTION opendmc_signed_document_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'signed documents are never deleted';
    END IF;
    IF OLD.status = 'ready' THEN
        RAISE EXCEPTION 'a signed document is immutable once ready';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER documents_signeddocument_immutable
    BEFORE UPDATE OR DELETE ON documents_signeddocument
    FOR EACH ROW EXECUTE FUNCTION opendmc_signed_document_guard();
"""
ALLOW = """
DROP TRIGGER IF EXISTS documents_signeddocument_immutable ON documents_signeddocument;
DROP FUNCTION IF EXISTS opendmc_signed_document_guard();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORBID)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ALLOW)


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
