"""An index for the inbox: open human tasks by the object their permission is checked on.

viewflow owns the task table, so the index is made here with SQL. PostgreSQL only (partial index
with the open statuses); SQLite's tables are small enough without it.
"""

from django.db import migrations

CREATE = """
CREATE INDEX IF NOT EXISTS workflows_open_task_obj ON viewflow_task
    (owner_permission_obj_pk, created, id)
    WHERE flow_task_type = 'HUMAN' AND status IN ('NEW', 'ASSIGNED', 'STARTED')
"""
DROP = "DROP INDEX IF EXISTS workflows_open_task_obj"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0003_buildingsurveyprocess"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
