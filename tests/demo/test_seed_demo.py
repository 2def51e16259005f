from io import StringIO

from django.core.management import call_command
from django.utils import timezone
from viewflow.workflow.models import Task

from accounts.models import Membership, User
from census.models import RosterSnapshot, Round, SchoolRound
from documents.models import SignedDocument
from schools.identifiers import is_valid_citizen_id
from schools.models import AreaOffice, AuditEntry, Enrollment, Measurement, School, Student
from workflows.models import CertificationProcess

MODELS = (
    AreaOffice, School, Student, Enrollment, Measurement, User, Membership, AuditEntry,
    Round, SchoolRound, RosterSnapshot, SignedDocument, CertificationProcess, Task,
)  # fmt: skip


def _counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_demo_twice_gives_the_same_counts_and_shows_every_feature(client, db):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = _counts()
    call_command("seed_demo", stdout=StringIO())
    assert _counts() == first
    assert first["AreaOffice"] == 2 and first["School"] >= 4
    assert 200 <= first["Student"] <= 1000
    assert "staff.maerim" in out.getvalue() and "opendmc-demo" in out.getvalue()
    # learners: valid IDs, some G-codes, schools of different sizes
    ids = list(Student.objects.exclude(citizen_id=None).values_list("citizen_id", flat=True))
    assert all(is_valid_citizen_id(cid) for cid in ids)
    assert Student.objects.filter(gcode__isnull=False).exists()
    sizes = [s.enrollments.filter(status="active").count() for s in School.objects.all()]
    assert len(set(sizes)) == len(sizes)
    # a past round: most schools certified with their records, one missed, one revoked
    past = Round.objects.filter(is_demo=False, opened_at__isnull=False).get()
    states = list(SchoolRound.objects.filter(round=past).values_list("state", flat=True))
    assert states.count("missed") == 1 and states.count("revoked") == 1
    assert sum(s in ("certified", "acknowledged") for s in states) == len(states) - 2
    assert SignedDocument.objects.filter(kind="revocation").count() == 1
    # the dashboards show every state: the past round and today's demo round together
    demo = Round.objects.get(is_demo=True)
    demo_states = set(SchoolRound.objects.filter(round=demo).values_list("state", flat=True))
    assert set(states) | demo_states == set(SchoolRound.State.values)
    assert {"not_started", "prepared", "confirmed", "certified", "acknowledged"} <= demo_states
    # a demo round today, open all day, with tasks waiting in the inboxes
    assert timezone.localtime(demo.confirm_opens).hour == 0 and demo.as_of == timezone.localdate()
    waiting = Task.objects.filter(
        process__certificationprocess__round=demo, status="NEW", flow_task_type="HUMAN"
    )
    # prepare at the five schools not started; confirm, certify and acknowledge at one each
    assert sorted(t.flow_task.name for t in waiting) == [
        "acknowledge", "certify", "confirm", *["prepare"] * 5
    ]  # fmt: skip
    # staff sign in and see their roster in Thai
    signed_in = client.post(
        "/accounts/login/", {"username": "staff.maerim", "password": "opendmc-demo"}
    )
    assert signed_in.status_code == 302
    response = client.get("/schools/1050130001/")
    assert response.status_code == 200 and "โรงเรียนบ้านแม่ริม" in response.content.decode()
    tasks = {row.task.flow_task.name for row in client.get("/workflows/").context["rows"]}
    assert tasks == {"prepare", "release"}  # the count day, and a transfer to answer
    client.logout()
    assert (
        client.post(
            "/accounts/login/", {"username": "area.cm1", "password": "opendmc-demo"}
        ).status_code
        == 302
    )
    tasks = [row.task.flow_task.name for row in client.get("/workflows/").context["rows"]]
    assert set(tasks) == {"acknowledge", "approve", "verify"}
