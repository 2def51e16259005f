from django.db import migrations

DEFAULTS = {"kindergarten": 30, "primary": 40, "secondary": 40}


def add_defaults(apps, schema_editor):
    ClassSize = apps.get_model("buildings", "ClassSize")
    for level, size in DEFAULTS.items():
        ClassSize.objects.get_or_create(level=level, defaults={"learners_per_room": size})


class Migration(migrations.Migration):

    dependencies = [("buildings", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
