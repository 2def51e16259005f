from django.db import migrations
from django.db.models import OuterRef, Subquery


def register_earlier_gcodes(apps, schema_editor):
    """Record the G-code of every learner who already holds one, so that the learner can be
    enrolled again with it (menu 2.7.4 accepts only recorded codes)."""
    Student = apps.get_model("schools", "Student")
    Enrollment = apps.get_model("schools", "Enrollment")
    IssuedGCode = apps.get_model("schools", "IssuedGCode")
    latest_school = Enrollment.objects.filter(student_id=OuterRef("pk")).order_by(
        "-started_on", "-pk"
    )
    learners = (
        Student.objects.exclude(gcode=None)
        .filter(gcode_issuance__isnull=True)
        .annotate(school_id=Subquery(latest_school.values("school_id")[:1]))
        .values_list("pk", "gcode", "school_id", "title", "first_name_th", "last_name_th")
        .order_by("pk")
    )
    batch = []
    for pk, gcode, school_id, title, first, last in learners.iterator(chunk_size=2000):
        batch.append(
            IssuedGCode(
                gcode=gcode, source="earlier", school_id=school_id, student_id=pk,
                learner_name=f"{title}{first} {last}",
            )
        )  # fmt: skip
        if len(batch) >= 2000:
            IssuedGCode.objects.bulk_create(batch)
            batch = []
    IssuedGCode.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("schools", "0005_issued_gcode")]

    operations = [migrations.RunPython(register_earlier_gcodes, migrations.RunPython.noop)]
