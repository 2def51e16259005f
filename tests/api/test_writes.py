"""The API's writes: through the pages' services (their rules, messages and audit), allowed to a
school's write key and refused to the others, once per Idempotency-Key."""

import base64
import itertools
from datetime import date
from decimal import Decimal

import pytest
from django.urls import get_resolver, reverse
from django.utils import timezone, translation

from census.models import SchoolRound
from schools.models import AuditEntry, Enrollment, EnrollmentStatus, Grade, Measurement, Student
from schools.services import measurement_entries_of
from schools.uploads import parse_measurements
from workflows.models import DropoutProcess, GCodeProcess, IdCorrectionProcess, TransferProcess

from ..factories import EnrollmentFactory, StudentFactory, make_citizen_id
from ..workflows.test_approvals import PDF, take_and_decide

pytestmark = pytest.mark.django_db
_keys = itertools.count(1)


def post(client, url, data, key=None):
    return client.post(
        url,
        data,
        content_type="application/json",
        headers={"Idempotency-Key": key or f"test-{next(_keys)}"},
    )


@pytest.fixture
def writer(api_client, school_writer):
    return api_client(school_writer[1], "en")


@pytest.fixture
def learner(school):
    return EnrollmentFactory(school=school, grade=Grade.P3, started_on=date(2026, 5, 16))


def new_learner(**extra):
    return {
        "citizen_id": make_citizen_id(),
        "title": "ด.ช.",
        "first_name_th": "สมชาย",
        "last_name_th": "ใจดี",
        "sex": "M",
        "birth_date": "2018-03-01",
        "grade": Grade.P3,
        "room": 2,
        **extra,
    }


def test_write_key_adds_a_learner_audited_with_the_keys_name(writer, school, school_writer):
    key, _secret = school_writer
    response = post(writer, reverse("api:roster", args=[school.code]), new_learner())
    assert response.status_code == 201, response.json()
    assert response.json()["room"] == 2
    enrollment = Enrollment.objects.get(school=school)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ENROLL)
    assert entry.actor == key.principal and "SchoolMIS writer" in entry.actor.display_name
    assert enrollment.student.first_name_th == "สมชาย"


def test_a_retried_write_acts_once(writer, school):
    url, body = reverse("api:roster", args=[school.code]), new_learner()
    first = post(writer, url, body, key="same")
    again = post(writer, url, body, key="same")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Enrollment.objects.count() == 1
    other = post(writer, url, new_learner(), key="same")
    assert other.status_code == 422
    assert other.json()["type"] == "urn:opendmc:problem:idempotency-key-reused"
    assert Enrollment.objects.count() == 1


def test_idempotency_keys_are_per_caller(writer, api_client, make_key, director, school):
    _k, second = make_key(by=director, school=school, write=True, name="Second")
    url = reverse("api:roster", args=[school.code])
    assert post(writer, url, new_learner(), key="k").status_code == 201
    assert post(api_client(second), url, new_learner(), key="k").status_code == 201
    assert Enrollment.objects.count() == 2


def test_a_refused_write_is_not_stored_and_may_be_retried(writer, school):
    url = reverse("api:roster", args=[school.code])
    body = new_learner(citizen_id="1234567890123")  # a wrong check digit
    refused = post(writer, url, body, key="retry")
    assert refused.status_code == 422, refused.json()
    assert post(writer, url, new_learner(), key="retry").status_code == 201


def test_every_write_needs_an_idempotency_key(writer, school):
    response = writer.post(
        reverse("api:roster", args=[school.code]), new_learner(), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["type"] == "urn:opendmc:problem:idempotency-key"
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize("which", ["school_reader", "area_reader", "other_writer"])
def test_other_keys_cannot_write(request, api_client, school, learner, which, make_key,
                                 other_school_director, other_school):  # fmt: skip
    if which == "other_writer":
        _k, secret = make_key(by=other_school_director, school=other_school, write=True)
    else:
        _k, secret = request.getfixturevalue(which)
    client = api_client(secret)
    public_id = learner.student.public_id
    for url, data in (
        (reverse("api:roster", args=[school.code]), new_learner()),
        (reverse("api:learner_name", args=[school.code, public_id]), {"first_name_th": "ใหม่"}),
        (reverse("api:learner_class", args=[school.code, public_id]), {"room": 5}),
        (reverse("api:measurements", args=[school.code]), {"rows": [{"id": "x"}]}),
    ):
        assert post(client, url, data).status_code in (403, 404), url
    assert not AuditEntry.objects.exists()
    assert Enrollment.objects.count() == 1


def test_class_and_name_edits(writer, school, learner):
    public_id = learner.student.public_id
    moved = post(writer, reverse("api:learner_class", args=[school.code, public_id]), {"room": 4})
    assert moved.json() == {"changed": 1}
    renamed = post(
        writer,
        reverse("api:learner_name", args=[school.code, public_id]),
        {"first_name_th": "ใหม่", "reason": "ผิดตามทะเบียน"},
    )
    assert renamed.status_code == 200 and renamed.json()["first_name_th"] == "ใหม่"
    learner.refresh_from_db()
    assert learner.room == 4
    assert AuditEntry.objects.filter(action=AuditEntry.Action.NAME_EDIT).count() == 1


def test_name_edit_keeps_the_services_message(writer, school, learner):
    response = post(
        writer,
        reverse("api:learner_name", args=[school.code, learner.student.public_id]),
        {"first_name_th": ""},
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "The Thai first and last names are required."


def test_transfer_out(writer, school, learner):
    response = post(
        writer,
        reverse("api:learner_transfer_out", args=[school.code, learner.student.public_id]),
        {"on": timezone.localdate().isoformat(), "destination_note": "โรงเรียนในกรุงเทพฯ"},
    )
    assert response.status_code == 200 and response.json()["status"] == "transferred_out"
    learner.refresh_from_db()
    assert learner.status == EnrollmentStatus.TRANSFERRED_OUT


def test_locked_roster_refuses_in_thai_by_default(api_client, school_writer, school, learner):
    from tests.census.subsidy_data import years

    round1 = years(2569)[(2569, 1)]
    SchoolRound.objects.create(round=round1, school=school, state=SchoolRound.State.CONFIRMED)
    response = post(
        api_client(school_writer[1]),
        reverse("api:learner_class", args=[school.code, learner.student.public_id]),
        {"room": 4},
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("ข้อมูลของ")
    learner.refresh_from_db()
    assert learner.room == 1


# --- weight and height in bulk ------------------------------------------------------------------


def rows_for(enrollments, day="2026-06-01"):
    return [
        {"id": e.student.citizen_id, "weight_kg": 25.5, "height_cm": "130", "measured_on": day}
        for e in enrollments
    ]


def test_measurements_in_bulk(writer, school, time_machine):
    time_machine.move_to(date(2026, 7, 1))
    roster = [EnrollmentFactory(school=school) for _ in range(3)]
    response = post(
        writer, reverse("api:measurements", args=[school.code]), {"rows": rows_for(roster)}
    )
    assert response.json() == {"created": 3, "updated": 0, "unchanged": 0}
    again = post(
        writer, reverse("api:measurements", args=[school.code]), {"rows": rows_for(roster)}
    )
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 3}


def test_bad_rows_refuse_all_with_the_uploads_messages_and_row_numbers(
    writer, school, time_machine
):
    time_machine.move_to(date(2026, 7, 1))
    roster = [EnrollmentFactory(school=school) for _ in range(2)]
    rows = rows_for(roster) + [
        {"id": "1234567890123", "weight_kg": 25, "height_cm": 130, "measured_on": "2026-06-01"},
        {"id": roster[0].student.citizen_id, "weight_kg": 500, "height_cm": "", "measured_on": "x"},
        {"id": make_citizen_id(), "weight_kg": 20, "height_cm": 120, "measured_on": "1/6/2569"},
    ]
    response = post(writer, reverse("api:measurements", args=[school.code]), {"rows": rows})
    assert response.status_code == 422
    errors = response.json()["errors"]
    # The same rows as a file: a header line, so each file line is the API's row + 1.
    lines = ["id,weight,height,date"] + [
        f"{r['id']},{r['weight_kg']},{r['height_cm']},{r['measured_on']}" for r in rows
    ]
    with translation.override("en"):  # the writer's language (its Accept-Language)
        with_file = measurement_entries_of(
            school=school, parsed=parse_measurements("\n".join(lines).encode(), "w.csv")
        )[1]
    assert [(e["row"] + 1, e["message"]) for e in errors] == [
        (e["line"], e["message"]) for e in with_file
    ]
    assert {e["row"] for e in errors} == {3, 4, 5}
    assert not Measurement.objects.exists()


def test_measurement_rows_take_numbers_text_and_blanks_as_their_fields_do(
    writer, school, time_machine
):
    time_machine.move_to(date(2026, 7, 1))
    a, b, c = (EnrollmentFactory(school=school) for _ in range(3))
    rows = [
        {"id": f" {a.student.citizen_id} ", "weight_kg": 25, "height_cm": 130.5,
         "measured_on": "2026-06-01", "note": "ignored"},
        {"id": b.student.citizen_id, "weight_kg": "\t26.5 ", "height_cm": "131",
         "measured_on": " 1/6/2569"},
        {},  # an empty row is skipped, as in a file
        {"id": c.student.citizen_id, "weight_kg": "27", "height_cm": "132", "measured_on": None},
        {"id": "  ", "height_cm": 120},
    ]  # fmt: skip
    response = post(writer, reverse("api:measurements", args=[school.code]), {"rows": rows})
    assert response.status_code == 422
    assert [(e["row"], e["message"]) for e in response.json()["errors"]] == [
        (4, "The date measured is not valid (use d/m/BBBB or YYYY-MM-DD)."),
        (5, "The ID is missing."),
        (5, "The weight is missing."),
        (5, "The date measured is not valid (use d/m/BBBB or YYYY-MM-DD)."),
    ]
    response = post(writer, reverse("api:measurements", args=[school.code]), {"rows": rows[:3]})
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0}
    assert sorted(Measurement.objects.values_list("weight_kg", "height_cm")) == [
        (Decimal("25"), Decimal("130.5")),
        (Decimal("26.5"), Decimal("131")),
    ]


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"id": True}, "rows.1.id"),
        ({"weight_kg": [25]}, "rows.1.weight_kg"),
        ({"height_cm": {"cm": 130}}, "rows.1.height_cm"),
        ({"measured_on": "2026-06-01\x00"}, "rows.1.measured_on"),
        ({"id": "\ud800"}, "rows.1.id"),
        ("not a row", "rows.1"),
    ],
)
def test_a_cell_that_is_not_text_or_a_number_is_refused_by_its_field(writer, school, row, field):
    rows = [{"id": "1", "weight_kg": 1, "height_cm": 1, "measured_on": "x"}, row]
    response = post(writer, reverse("api:measurements", args=[school.code]), {"rows": rows})
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_rows_that_are_not_a_list_are_refused(writer, school):
    for rows in ({"id": "1"}, "rows", [], None):
        response = post(writer, reverse("api:measurements", args=[school.code]), {"rows": rows})
        assert response.status_code == 400, rows
        assert response.json()["errors"][0]["field"] == "rows"


def test_more_than_ten_thousand_rows_are_refused(writer, school):
    rows = [{"id": "1"}] * 10_001
    response = post(writer, reverse("api:measurements", args=[school.code]), {"rows": rows})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "rows"


# --- requests: they wait for people --------------------------------------------------------------


def evidence():
    return [{"filename": "e.pdf", "content_base64": base64.b64encode(PDF).decode()}]


def test_dropout_request_waits_in_the_area_officers_inbox(
    writer, client, school, learner, area_officer, school_writer
):
    response = post(
        writer,
        reverse("api:dropout_request", args=[school.code, learner.student.public_id]),
        {
            "kind": "dropped_out",
            "reason": "family_moved",
            "effective_on": timezone.localdate().isoformat(),
            "evidence": evidence(),
        },
    )
    assert response.status_code == 202, response.json()
    process = DropoutProcess.objects.get(pk=response.json()["request"])
    assert process.requested_by == school_writer[0].principal
    learner.refresh_from_db()
    assert learner.status == EnrollmentStatus.ACTIVE  # decided by people, not the API
    client.force_login(area_officer)
    assert client.get(reverse("workflows:inbox")).context["rows"]
    decided = take_and_decide(
        client, area_officer, DropoutProcess, {"decision": "approved", "comment": ""}
    )
    assert decided.status_code == 302
    learner.refresh_from_db()
    assert learner.status == EnrollmentStatus.DROPPED_OUT


def test_transfer_in_request_and_an_unknown_learner(writer, school, other_school):
    held = EnrollmentFactory(school=other_school, student=StudentFactory())
    url = reverse("api:transfer_request", args=[school.code])
    started = post(
        writer, url, {"identifier": held.student.citizen_id, "grade": Grade.P3, "room": 1}
    )
    assert started.status_code == 202 and started.json()["kind"] == "transfer"
    assert TransferProcess.objects.get().releasing_school == other_school
    unknown = post(writer, url, {"identifier": make_citizen_id(), "grade": Grade.P3, "room": 1})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "identifier"


def test_gcode_request(writer, school):
    response = post(
        writer,
        reverse("api:gcode_request", args=[school.code]),
        {
            "title": "ด.ญ.",
            "first_name_th": "มะลิ",
            "last_name_th": "ไม่มีสกุล",
            "sex": "F",
            "birth_date": "2018-01-01",
            "nationality": "ไม่ปรากฏสัญชาติ",
            "guardian_name": "แม่",
            "guardian_relation": "มารดา",
            "address": "บ้านเลขที่ 1",
            "grade": Grade.P2,
            "room": 1,
            "evidence": evidence(),
        },
    )
    assert response.status_code == 202, response.json()
    assert GCodeProcess.objects.get().first_name_th == "มะลิ"
    assert not Student.objects.filter(first_name_th="มะลิ").exists()


def test_id_correction_request_needs_evidence(writer, school, learner, id_approver):
    url = reverse("api:id_correction_request", args=[school.code, learner.student.public_id])
    bare = post(writer, url, {"new_citizen_id": make_citizen_id()})
    assert bare.status_code == 422 and bare.json()["errors"][0]["field"] == "evidence"
    started = post(writer, url, {"new_citizen_id": make_citizen_id(), "evidence": evidence()})
    assert started.status_code == 202, started.json()
    assert IdCorrectionProcess.objects.get().student == learner.student


def test_confirm_and_certify_are_not_in_the_api():
    routes = [str(p.pattern) for p in get_resolver("api.urls").url_patterns]
    assert routes and not [r for r in routes if "confirm" in r or "certif" in r]


def test_a_body_over_the_limit_is_a_413_problem(writer, school, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    rows = [{"id": make_citizen_id(), "weight_kg": 20, "height_cm": 120}] * 50
    response = post(writer, reverse("api:measurements", args=[school.code]), {"rows": rows})
    assert response.status_code == 413
    assert response.json()["type"] == "urn:opendmc:problem:too-large"
