"""Walk the forms each persona posts with random and hostile text: never a server error; an
invalid form answers 200 with an error (or a redirect with an error message) and saves nothing.

The fields of each form are read from the page's own form (``response.context["form"]``), so a
field added later is fuzzed too. Every example runs in a savepoint that is rolled back.
"""

from dataclasses import dataclass
from datetime import date

import pytest
from django import forms
from django.contrib.messages import constants as message_levels
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from viewflow.workflow.models import Process

from buildings.models import Building, SchoolLand
from census.models import AcademicYear, Round, SubsidyRate
from census.services import academic_year_create
from documents.models import SignedDocument
from schools.models import (
    AuditEntry,
    Enrollment,
    Grade,
    Measurement,
    MeasurementUpload,
    RegisterChange,
    School,
    Student,
    StudentDocument,
)

from ..factories import EnrollmentFactory, MeasurementFactory, make_citizen_id
from .strategies import NASTY, examples, hostile_text

WATCHED = (
    Student,
    Enrollment,
    Measurement,
    MeasurementUpload,
    AuditEntry,
    StudentDocument,
    SignedDocument,
    Process,
    Building,
    SchoolLand,
    AcademicYear,
    Round,
    SubsidyRate,
    School,
    RegisterChange,
)
# Each example is two requests: 22 forms × 2 walks × 20 examples stay under two minutes.
FORM_EXAMPLES = examples(20)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def state():
    """Return what a refused form must leave as it was: row counts, and the edited rows."""
    snapshot = {m.__name__: m.objects.count() for m in WATCHED}
    snapshot["rounds"] = list(Round.objects.order_by("pk").values_list())
    snapshot["rates"] = list(SubsidyRate.objects.order_by("pk").values_list())
    snapshot["students"] = list(
        Student.objects.order_by("pk").values_list(
            "citizen_id", "first_name_th", "last_name_th", "title"
        )
    )
    snapshot["enrollments"] = list(
        Enrollment.objects.order_by("pk").values_list("grade", "room", "status")
    )
    snapshot["buildings"] = list(Building.objects.order_by("pk").values_list())
    return snapshot


@dataclass(frozen=True)
class Case:
    name: str
    persona: str
    url: str  # a URL name; its arguments come from the world fixture

    def path(self, world) -> str:
        args = {
            "school": [world["school"].code],
            "learner": [world["school"].code, world["learner"].student.public_id],
            "round": [world["round"].pk],
            "rate": [world["rate"].pk],
            "building": [world["school"].code, world["building"].pk],
            "none": [],
        }[self.url.split("@")[1]]
        return reverse(self.url.split("@")[0], args=args)


CASES = [
    Case("add learner (2.7.3)", "staff", "schools:add@school"),
    Case("add G-code learner (2.7.4)", "staff", "schools:add_gcode@school"),
    Case("transfer out (2.7.5)", "staff", "schools:transfer_out@learner"),
    Case("class/room (2.7.7)", "staff", "schools:class@learner"),
    Case("bulk move (2.7.7)", "staff", "schools:move@school"),
    Case("name (2.7.8)", "staff", "schools:name@learner"),
    Case("measurement (3.1.1)", "staff", "schools:measure@learner"),
    Case("evidence upload (2.7.9)", "staff", "schools:evidence_upload@learner"),
    Case("weight/height upload (3.1.1)", "staff", "schools:upload@school"),
    Case("transfer in (2.7.1)", "staff", "workflows:transfer_in@school"),
    Case("G-code request", "staff", "workflows:gcode_request@school"),
    Case("dropout request (2.7.6)", "staff", "workflows:dropout_request@learner"),
    Case("ID correction request", "staff", "workflows:id_correction_request@learner"),
    Case("round edit", "ministry_admin", "workflows:round_edit@round"),
    Case("academic year", "ministry_admin", "census:year_create@none"),
    Case("subsidy rate (new)", "ministry_admin", "census:rate_create@none"),
    Case("subsidy rate (edit)", "ministry_admin", "census:rate_edit@rate"),
    Case("B-OBEC building (add)", "staff", "buildings:add@school"),
    Case("B-OBEC building (edit)", "staff", "buildings:edit@building"),
    Case("B-OBEC land", "staff", "buildings:land@school"),
    Case("B-OBEC photo", "staff", "buildings:photos@building"),
    Case("school list upload", "ministry_admin", "schools:school_list@none"),
]


@pytest.fixture
def world(school, staff, ministry_admin):
    learner = EnrollmentFactory(school=school, grade=Grade.P3, room=1)
    MeasurementFactory(student=learner.student)
    year = academic_year_create(year_be=2569, actor=None)
    rate = SubsidyRate.objects.create(
        fiscal_year=2570, item="tuition", level="primary", baht_per_year=1900
    )
    building = Building.objects.create(
        school=school,
        kind=Building.Kind.CLASSROOM,
        name="อาคารเรียน 1",
        year_built=2530,
        rooms_design=4,
        rooms_in_use=2,
        floor_area_m2=432,
        condition=Building.Condition.FAIR,
    )
    return {
        "school": school,
        "learner": learner,
        "round": year.rounds.get(number=1),
        "rate": rate,
        "building": building,
        "staff": staff,
        "ministry_admin": ministry_admin,
    }


dates = st.one_of(
    st.dates(min_value=date(1, 1, 1)).map(date.isoformat),
    st.sampled_from(["2026-06-01", "2569-06-01", "1/6/2569", "2026-13-01", "2026-02-30"]),
    hostile_text,
)
# The edges of the database's integer columns (smallint, integer, bigint) and just past them.
COLUMN_EDGES = ["32767", "32768", "2147483647", "2147483648", "9223372036854775808", "-32769"]
numbers = st.one_of(
    st.sampled_from(COLUMN_EDGES),
    st.integers().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["1e309", "-0", "๑๒", "1,5", "99999999999999999999999"]),
    hostile_text,
)
files = st.builds(
    lambda data, name: SimpleUploadedFile(name, data),
    st.one_of(st.binary(max_size=512), st.just(PDF), st.just(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)),
    st.one_of(
        st.sampled_from(["a.pdf", "a.csv", "a.xlsx", "1101700203450.pdf", "ก" * 250 + ".pdf"]),
        hostile_text.map(lambda t: (t.replace("\x00", "")[:200] or "x") + ".pdf"),
    ),
)


def value_for(draw, field: forms.Field):
    """Draw a value for one field: often hostile, sometimes well-formed."""
    if isinstance(field, forms.FileField):
        return draw(st.one_of(st.none(), files))
    if isinstance(field, forms.ChoiceField):
        choices = [str(k) for k, _v in field.choices if not isinstance(_v, list | tuple)]
        return draw(st.one_of(st.sampled_from(choices or [""]), hostile_text))
    if isinstance(field, forms.DateTimeField):
        return draw(st.one_of(dates.map(lambda d: f"{d}T09:00"), hostile_text))
    if isinstance(field, forms.DateField):
        return draw(dates)
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        return draw(numbers)
    if isinstance(field, forms.BooleanField):
        return draw(st.sampled_from(["on", "", "0", "\x00"]))
    return draw(st.one_of(hostile_text, st.just(make_citizen_id()), st.sampled_from(NASTY[-8:])))


@st.composite
def form_data(draw, form: forms.Form) -> dict:
    data = {}
    for name, field in form.fields.items():
        if draw(st.integers(0, 9)) == 0:
            continue  # a missing field
        value = value_for(draw, field)
        if value is not None:
            data[form.add_prefix(name)] = value
    return data


def error_messages(response) -> list:
    return [m for m in response.wsgi_request._messages if m.level >= message_levels.WARNING]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@given(data=st.data())
@settings(max_examples=FORM_EXAMPLES)
def test_hostile_input_never_breaks_a_form(client, world, case, data):
    client.force_login(world[case.persona])
    url = case.path(world)
    page = client.get(url)
    assert page.status_code == 200, (case.name, page.status_code)
    form = page.context["form"]
    payload = data.draw(form_data(form))
    with transaction.atomic():
        before = state()
        response = client.post(url, payload)
        status = response.status_code
        assert status in (200, 302), (case.name, status)
        event(f"{status} {'refused' if status == 200 or error_messages(response) else 'accepted'}")
        if status == 200:
            errors = response.context["form"].errors if "form" in response.context else {}
            assert errors or error_messages(response), (case.name, payload)
            assert state() == before, (case.name, "refused but changed", payload)
        elif error_messages(response):
            assert state() == before, (case.name, "refused but changed", payload)
        transaction.set_rollback(True)


def today() -> str:
    return timezone.localdate().isoformat()


NAMES = {
    "title": "ด.ช.",
    "first_name_th": "ธนกฤต",
    "last_name_th": "ศรีสุข",
    "first_name_en": "",
    "last_name_en": "",
}
BASELINES = {
    "schools:add": lambda w: {
        **NAMES, "identifier": make_citizen_id(), "sex": "M", "birth_date": "2017-07-01",
        "nationality": "ไทย", "grade": "P3", "room": "1", "started_on": today(),
    },
    "schools:add_gcode": lambda w: {
        **NAMES, "identifier": "G" + make_citizen_id()[:12], "sex": "M",
        "birth_date": "2017-07-01", "nationality": "เมียนมา", "grade": "P3", "room": "1",
        "started_on": today(),
    },
    "schools:transfer_out": lambda w: {"on": today(), "destination_note": "ต่างประเทศ"},
    "schools:class": lambda w: {"grade": "P4", "room": "2", "reason": "ย้ายห้อง"},
    "schools:move": lambda w: {"from_grade": "P3", "to_room": "2", "reason": "เลื่อนห้อง"},
    "schools:name": lambda w: {**NAMES, "reason": "สะกดผิด"},
    "schools:measure": lambda w: {"measured_on": today(), "weight_kg": "25.5", "height_cm": "128"},
    "schools:evidence_upload": lambda w: {
        "kind": "birth_certificate", "description": "สูติบัตร",
        "file": SimpleUploadedFile("a.pdf", PDF),
    },
    "workflows:transfer_in": lambda w: {
        "identifier": make_citizen_id(), "grade": "P3", "room": "1",
        "evidence": SimpleUploadedFile("a.pdf", PDF),
    },
    "workflows:gcode_request": lambda w: {
        **NAMES, "sex": "M", "birth_date": "2017-07-01", "nationality": "เมียนมา",
        "guardian_name": "นางสาวมาลี", "guardian_relation": "มารดา", "guardian_phone": "0812345678",
        "address": "เชียงใหม่", "grade": "P3", "room": "1",
        "evidence": SimpleUploadedFile("a.pdf", PDF),
    },
    "workflows:dropout_request": lambda w: {
        "kind": "dropped_out", "reason": "family_moved", "reason_note": "", "effective_on": today(),
        "evidence": SimpleUploadedFile("a.pdf", PDF),
    },
    "workflows:id_correction_request": lambda w: {
        "new_citizen_id": make_citizen_id(), "evidence": SimpleUploadedFile("a.pdf", PDF),
    },
    "census:year_create": lambda w: {"year": "2571"},
    "buildings:add": lambda w: {
        "kind": "classroom", "name": "อาคารเรียน 2", "design_code": "สปช.105/29",
        "year_built": "2535", "rooms_design": "6", "rooms_in_use": "6", "floor_area_m2": "540",
        "funding": "budget", "condition": "good", "in_use": "on",
    },
    "buildings:land": lambda w: {
        "rai": "5", "ngan": "2", "square_wa": "40", "document": "chanote", "document_number": "1234",
    },
    "census:rate_create": lambda w: {
        "fiscal_year": "2571", "item": "tuition", "level": "primary", "grade": "",
        "baht_per_year": "1900", "status": "confirmed", "note": "", "source": "",
    },
}  # fmt: skip


def initial_data(form: forms.Form) -> dict:
    """Return the form's own initial values as a browser would post them back."""
    data = {}
    for name, field in form.fields.items():
        if isinstance(field, forms.FileField):
            continue
        value = form[name].value()
        if value is None:
            continue
        if isinstance(field.widget, forms.CheckboxInput):
            if value:
                data[form.add_prefix(name)] = "on"
            continue
        formatted = field.widget.format_value(value)
        if formatted is not None:
            data[form.add_prefix(name)] = formatted
    return data


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@given(data=st.data())
@settings(max_examples=FORM_EXAMPLES)
def test_one_hostile_field_in_a_valid_form(client, world, case, data):
    """Start from a form that would be accepted and spoil one or two fields: the service and the
    database layer see the hostile value too, not only the form's field checks."""
    client.force_login(world[case.persona])
    url = case.path(world)
    form = client.get(url).context["form"]
    baseline = {**initial_data(form), **BASELINES.get(case.url.split("@")[0], lambda w: {})(world)}
    names = list(form.fields)
    spoiled = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True))
    payload = dict(baseline)
    for name in spoiled:
        payload[form.add_prefix(name)] = value_for(data.draw, form.fields[name])
        if payload[form.add_prefix(name)] is None:
            payload.pop(form.add_prefix(name))
    with transaction.atomic():
        before = state()
        response = client.post(url, payload)
        status = response.status_code
        assert status in (200, 302), (case.name, status)
        refused = status == 200 or bool(error_messages(response))
        event(f"{status} {'refused' if refused else 'accepted'}")
        if status == 200:
            errors = response.context["form"].errors if "form" in response.context else {}
            assert errors or error_messages(response), (case.name, payload)
        if refused:
            assert state() == before, (case.name, "refused but changed", payload)
        transaction.set_rollback(True)


def post_each_number(client, world, case, values):
    """POST the case's form, otherwise valid, with each value in each of its number fields, each in
    a savepoint rolled back; yield (field name, value, response, whether nothing changed)."""
    client.force_login(world[case.persona])
    url = case.path(world)
    form = client.get(url).context["form"]
    baseline = {**initial_data(form), **BASELINES.get(case.url.split("@")[0], lambda w: {})(world)}
    numeric = [
        name
        for name, field in form.fields.items()
        if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField)
    ]
    for name in numeric:
        for value in values:
            payload = {**baseline, form.add_prefix(name): value}
            for key, item in payload.items():
                if isinstance(item, SimpleUploadedFile):
                    payload[key] = SimpleUploadedFile(item.name, PDF)
            with transaction.atomic():
                before = state()
                response = client.post(url, payload)
                yield name, value, response, state() == before
                transaction.set_rollback(True)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_numbers_past_a_column_are_refused_not_a_server_error(client, world, case):
    """Every number field, in an otherwise valid form, at each column's edge: refused with an
    error (or accepted whole), never a database error. Found by the fuzzer on PostgreSQL: a
    building's rooms by design of 32,768 reached a smallint column."""
    for name, value, response, unchanged in post_each_number(client, world, case, COLUMN_EDGES):
        assert response.status_code in (200, 302), (case.name, name, value)
        if response.status_code == 200 or error_messages(response):
            assert unchanged, (case.name, name, value, "refused but changed")


# Every spelling of a number that is not finite that Python's Decimal or float accepts.
NON_FINITE = ["NaN", "nan", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "-inf", "๑e999999999"]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_numbers_that_are_not_finite_are_field_errors_in_every_form(client, world, case):
    """Every number field, in an otherwise valid form, given NaN or Infinity: a field error, never a
    server error, nothing saved."""
    for name, value, response, unchanged in post_each_number(client, world, case, NON_FINITE):
        assert response.status_code in (200, 302), (case.name, name, value)
        if response.status_code == 200:
            assert name in response.context["form"].errors, (case.name, name, value)
        else:  # the pages that answer a refused form with a message on the next page
            assert error_messages(response), (case.name, name, value)
        assert unchanged, (case.name, name, value, "refused but changed")


@pytest.mark.parametrize("value", NON_FINITE)
@pytest.mark.parametrize("column", ["w", "h"])
def test_a_number_that_is_not_finite_in_the_measurement_grid_is_a_row_error(
    client, world, column, value
):
    # Found by the fuzzer: a NaN weight reached the range check, where comparing it raised (500).
    client.force_login(world["staff"])
    enrollment = world["learner"]
    url = reverse("schools:grid", args=[world["school"].code])
    values = {"w": "25.5", "h": "130", column: value}
    before = state()
    response = client.post(
        url,
        {
            "measured_on": "2026-06-01",
            "grade": enrollment.grade,
            "room": enrollment.room,
            f"w_{enrollment.pk}": values["w"],
            f"h_{enrollment.pk}": values["h"],
        },
    )
    assert response.status_code == 200
    [row] = [r for r in response.context["rows"] if r["enrollment"].pk == enrollment.pk]
    assert row["error"]
    assert state() == before


@given(
    measured_on=st.one_of(st.just("2026-06-01"), hostile_text),
    weight=st.one_of(numbers, st.just("25.5")),
    height=st.one_of(numbers, st.just("130")),
    grade=st.one_of(st.just(Grade.P3.value), hostile_text),
    room=st.one_of(st.just("1"), hostile_text),
)
# Found by the thorough profile: "¹" is a digit to str.isdigit(), not a number to int().
@example(measured_on="2026-06-01", weight="25.5", height="130", grade=Grade.P3.value, room="¹")
@example(measured_on="2026-06-01", weight="25.5", height="130", grade=Grade.P3.value, room="๑")
# Found by the fuzzer: a NaN weight answered 500 (comparing a NaN in the range check raised).
@example(measured_on="2026-06-01", weight="NaN", height="130", grade=Grade.P3.value, room="1")
def test_hostile_input_never_breaks_the_measurement_grid(
    client, world, measured_on, weight, height, grade, room
):
    client.force_login(world["staff"])
    enrollment = world["learner"]
    url = reverse("schools:grid", args=[world["school"].code])
    payload = {
        "measured_on": measured_on,
        "grade": grade,
        "room": room,
        f"w_{enrollment.pk}": weight,
        f"h_{enrollment.pk}": height,
    }
    with transaction.atomic():
        before = state()
        response = client.post(url, payload)
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert state() == before
        transaction.set_rollback(True)


@given(rule=hostile_text, subject_key=hostile_text, text=hostile_text)
def test_hostile_explanations_never_break_the_data_checks(client, world, rule, subject_key, text):
    client.force_login(world["staff"])
    url = reverse("schools:validation", args=[world["school"].code])
    with transaction.atomic():
        response = client.post(url, {"rule": rule, "subject_key": subject_key, "text": text})
        assert response.status_code == 302
        transaction.set_rollback(True)
