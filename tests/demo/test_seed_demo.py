from datetime import date, datetime, timedelta
from io import StringIO
from itertools import pairwise
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db.models import F, Min
from django.utils import timezone
from viewflow.workflow.models import Task

from accounts.models import Membership, User
from buildings.models import SchoolSurvey, SurveyYear
from buildings.selectors import budget_list
from census.models import RosterSnapshot, Round, SchoolRound
from demo.second_factor import demo_totp_code
from documents.models import Kind, SignedDocument
from documents.verify import pdf_verify
from schools.identifiers import is_valid_citizen_id
from schools.models import AreaOffice, AuditEntry, Enrollment, Grade, Measurement, School, Student
from schools.templatetags.thai import thai_date
from schools.validation import Rule, school_findings
from workflows.models import BuildingSurveyProcess, CertificationProcess

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
    # every G-code is recorded as issued (menu 2.7.4 accepts no other)
    assert not Student.objects.exclude(gcode=None).filter(gcode_issuance=None).exists()
    sizes = [s.enrollments.filter(status="active").count() for s in School.objects.all()]
    # the measurements went through the measurement service: each with its nutrition status
    from schools import nutrition
    from schools.models import Measurement

    seeded = Measurement.objects.filter(source=Measurement.Source.SEED)
    assert seeded.exists()
    assert not seeded.exclude(nutrition_reference=nutrition.reference().version).exists()
    assert seeded.exclude(wfh_band="").exists()
    assert len(set(sizes)) == len(sizes)
    # learners measured in the past rounds too, once a term (a growth line on the learner page):
    # taller at each round, and no query on a school's data checks for it
    sixth = Enrollment.objects.filter(school__code="1050130001", grade=Grade.P6).first().student
    growth = list(
        sixth.measurements.order_by("measured_on").values_list("measured_on", "height_cm")
    )
    assert [(d.month, d.day) for d, _h in growth] == [(5, 20), (11, 3)] * 3 + [(5, 20)]
    assert all(before < after for (_d, before), (_e, after) in pairwise(growth))
    # every learner entered the school before it first measured them (the demo measured them
    # there for at most three years; the ป.6 learner has been there since its first grade)
    assert sixth.enrollments.get().started_on < growth[0][0] - timedelta(days=365 * 2)
    assert (
        not Student.objects.annotate(
            entered=Min("enrollments__started_on"), first_measured=Min("measurements__measured_on")
        )
        .filter(first_measured__lt=F("entered"))
        .exists()
    )
    for school in School.objects.all():
        found = {f.rule for f in school_findings(school=school).items}
        assert not found & {Rule.HEIGHT_DROP, Rule.GROWTH_JUMP, Rule.OUTSIDE_TERM}, school.code
    # a past round: most schools certified with their records, one missed, one revoked
    past = Round.objects.filter(is_demo=False, opened_at__isnull=False).latest("as_of")
    states = list(SchoolRound.objects.filter(round=past).values_list("state", flat=True))
    assert states.count("missed") == 1 and states.count("revoked") == 1
    assert sum(s in ("certified", "acknowledged") for s in states) == len(states) - 2
    assert SignedDocument.objects.filter(kind="revocation").count() == 1
    # the dashboards show every state: the past round and today's demo round together
    demo = Round.objects.get(is_demo=True)
    demo_states = set(SchoolRound.objects.filter(round=demo).values_list("state", flat=True))
    assert set(states) | demo_states == set(SchoolRound.State.values)
    assert {"not_started", "prepared", "confirmed", "certified", "acknowledged"} <= demo_states
    # the B-OBEC budget list weighs rooms against the certified June count: some schools short
    listing = budget_list(
        survey_year=SurveyYear.objects.latest("year"), schools=School.objects.all()
    )
    shortages = [row.shortage for row in listing.eligible if row.shortage is not None]
    assert len(shortages) >= 5 and 0 in shortages and len(set(shortages)) >= 3
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
    # the demo's area login signs in with the demo authenticator's code (make run prints its key)
    assert client.get("/workflows/")["Location"].startswith("/accounts/second-factor/")
    assert client.post("/accounts/second-factor/", {"code": demo_totp_code()}).status_code == 302
    tasks = [row.task.flow_task.name for row in client.get("/workflows/").context["rows"]]
    assert set(tasks) == {"acknowledge", "approve", "verify"}


BANGKOK = ZoneInfo("Asia/Bangkok")
SEEDED = datetime(2026, 12, 4, 10, 0, tzinfo=BANGKOK)  # 24 days after the 10 Nov count day


def _flow_times(processes):
    """Return every timestamp viewflow keeps on these processes and their tasks."""
    times = [t for p in processes for t in (p.created, p.finished)]
    for task in Task.objects.filter(process__in=processes):
        times += [task.created, task.assigned, task.started, task.finished]
    return [t for t in times if t is not None]


def _records_of(subjects):
    """Return the signed records (and annexes) whose subject is one of these rows."""
    subjects = list(subjects)
    return SignedDocument.objects.filter(
        subject_type=ContentType.objects.get_for_model(subjects[0]),
        subject_id__in=[str(s.pk) for s in subjects],
    )


def _signature_time(document):
    with document.file.open("rb") as f:
        return pdf_verify(data=f.read(), at=document.signed_at).signed_at


def test_the_demo_past_is_dated_inside_its_windows_and_signed_at_the_real_moment(
    client, db, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(SEEDED, tick=False)
    # As the command's own commit does: the records are rendered and signed after it (eagerly).
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=StringIO())

    # The last real round: opened two weeks ahead; every step on its count day, inside its window.
    # The 10 June round of the B-OBEC survey's year is certified too (the budget list counts on it).
    june, past = Round.objects.filter(is_demo=False, opened_at__isnull=False).order_by("as_of")
    assert (june.as_of, past.as_of) == (date(2026, 6, 10), date(2026, 11, 10))
    assert past.opened_at == past.confirm_opens - timedelta(days=settings.ROUND_OPENS_DAYS_BEFORE)
    for sr in SchoolRound.objects.filter(round=june):
        assert (
            sr.certified_at is None or june.certify_opens <= sr.certified_at < june.certify_closes
        )
    school_rounds = list(SchoolRound.objects.filter(round=past))
    for sr in school_rounds:
        for moment in (sr.prepared_at, sr.acknowledged_at):
            assert moment is None or past.opened_at <= moment <= past.certify_closes
        assert (
            sr.confirmed_at is None or past.confirm_opens <= sr.confirmed_at < past.confirm_closes
        )
        assert (
            sr.certified_at is None or past.certify_opens <= sr.certified_at < past.certify_closes
        )
    assert sum(sr.acknowledged_at is not None for sr in school_rounds) == 1
    revoked = RosterSnapshot.objects.get(round=past, status=RosterSnapshot.Status.REVOKED)
    assert revoked.revoked_at == datetime(2026, 11, 11, 10, 0, tzinfo=BANGKOK)
    processes = list(CertificationProcess.objects.filter(round=past))
    others = [p for p in processes if p.school_round_id != revoked.school_round_id]
    assert all(past.opened_at <= t <= past.certify_closes for t in _flow_times(others))
    mine = [p for p in processes if p.school_round_id == revoked.school_round_id]
    assert all(past.opened_at <= t <= revoked.revoked_at for t in _flow_times(mine))
    assert max(_flow_times(others)) == past.certify_closes  # the missed school, at the close

    # Its records state those moments; each signature carries the moment it was really made.
    records = [
        *_records_of(processes),
        *_records_of(RosterSnapshot.objects.filter(round=past)),
    ]
    stated = {
        Kind.CONFIRMATION: (past.confirm_opens, past.confirm_closes),
        Kind.CERTIFICATION: (past.certify_opens, past.certify_closes),
        Kind.ROSTER_ANNEX: (past.certify_opens, past.certify_closes),
        Kind.REVOCATION: (revoked.revoked_at, revoked.revoked_at + timedelta(seconds=1)),
        Kind.ACKNOWLEDGEMENT: (past.certify_opens, past.certify_closes),
    }
    assert {r.kind for r in records} == set(stated)
    for record in records:
        opens, closes = stated[record.kind]
        assert opens <= record.dated_at < closes, (record.kind, record.dated_at)
        if record.is_ready:
            assert record.signed_at == SEEDED and _signature_time(record) == SEEDED

    # The October building survey: opened on 1 October, certified and missed inside its window.
    survey_year = SurveyYear.objects.get(year=2569)
    opens, closes = survey_year.opens, survey_year.closes
    assert survey_year.opened_at == opens
    surveys = list(SchoolSurvey.objects.filter(survey_year=survey_year))
    for survey in surveys:
        for moment in (survey.submitted_at, survey.certified_at):
            assert moment is None or opens <= moment < closes
        assert survey.missed_at in (None, closes)
        assert opens <= survey.updated_at <= closes  # its last change, shown to the area office
    assert any(s.missed_at for s in surveys) and any(s.certified_at for s in surveys)
    survey_processes = list(BuildingSurveyProcess.objects.filter(survey_year=survey_year))
    assert all(opens <= t <= closes for t in _flow_times(survey_processes))
    survey_records = list(_records_of(surveys))
    assert survey_records
    for record in survey_records:
        assert opens <= record.dated_at < closes
        assert record.signed_at == SEEDED and _signature_time(record) == SEEDED

    # What people read: the list shows the record's date; the check page shows both.
    certification = next(
        r for r in records if r.kind == Kind.CERTIFICATION and r.school.code == "1050130001"
    )
    client.force_login(User.objects.get(username="director.maerim"))
    listed = client.get("/schools/1050130001/documents/").content.decode()
    assert f"<td>{thai_date(certification.dated_at)}</td>" in listed
    checked = client.get(f"/verify/{certification.public_id}/").content.decode()
    assert thai_date(certification.dated_at, "long") in checked
    assert thai_date(SEEDED, "long") in checked


def test_the_demos_english_names_are_the_thai_names_own(db):
    from demo.names import ROMAN_OF
    from schools.models import Student

    call_command("seed_demo", stdout=StringIO())
    english = Student.objects.exclude(first_name_en="")
    assert english.exists()
    for s in english:
        assert (ROMAN_OF[s.first_name_th], ROMAN_OF[s.last_name_th]) == (
            s.first_name_en,
            s.last_name_en,
        )
