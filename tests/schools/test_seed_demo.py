from io import StringIO

from django.core.management import call_command

from accounts.models import Membership, User
from schools.models import AreaOffice, AuditEntry, Enrollment, Measurement, School, Student


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            AreaOffice,
            School,
            Student,
            Enrollment,
            Measurement,
            User,
            Membership,
            AuditEntry,
        )
    }


def test_seed_demo_twice_gives_the_same_counts(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = _counts()
    call_command("seed_demo", stdout=StringIO())
    assert _counts() == first
    assert first["AreaOffice"] == 2
    assert first["School"] >= 4
    assert 200 <= first["Student"] <= 1000
    assert "staff.maerim" in out.getvalue() and "opendmc-demo" in out.getvalue()


def test_seed_demo_learners_are_valid_and_varied(db):
    from schools.identifiers import is_valid_citizen_id

    call_command("seed_demo", stdout=StringIO())
    ids = list(Student.objects.exclude(citizen_id=None).values_list("citizen_id", flat=True))
    assert ids and all(is_valid_citizen_id(cid) for cid in ids)
    assert Student.objects.filter(gcode__isnull=False).exists()
    per_school = [s.enrollments.filter(status="active").count() for s in School.objects.all()]
    assert len(set(per_school)) == len(per_school)  # different sizes


def test_demo_staff_can_sign_in_and_see_the_roster(client, db):
    call_command("seed_demo", stdout=StringIO())
    assert client.login(username="staff.maerim", password="opendmc-demo")
    school = School.objects.get(code="1050130001")
    response = client.get(f"/schools/{school.code}/")
    assert response.status_code == 200
    assert "โรงเรียนบ้านแม่ริม" in response.content.decode()
