# The task that opens the survey years moved from buildings to workflows (workflows starts the
# flow). The schedule lives in the database (django-celery-beat): point its rows at the new name,
# and tell a running beat that the schedule changed.

from django.db import migrations
from django.utils import timezone

OLD = "buildings.tasks.open_due_survey_years"
NEW = "workflows.tasks.open_due_survey_years"


def _rename(apps, old, new):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    if PeriodicTask.objects.filter(task=old).update(task=new):
        PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def forwards(apps, schema_editor):
    _rename(apps, OLD, NEW)


def backwards(apps, schema_editor):
    _rename(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("django_celery_beat", "0001_initial"),
        ("workflows", "0004_inbox_open_task_index"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
