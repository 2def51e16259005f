"""The nutrition status frozen with the certified snapshot (computed in bulk at the freeze), and the
area and national nutrition reports read from it: percent per band by school × grade × sex, round
over round, a chart, .xlsx and .csv, scoped and pinned to a fixed number of queries."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from census.models import SchoolRound, SnapshotNutritionCount, SnapshotRow
from census.services import school_round_certify, school_round_revoke
from schools.models import Measurement, School
from schools.nutrition import assess
from tests.factories import (
    AreaOfficeFactory,
    EnrollmentFactory,
    MeasurementFactory,
    SchoolFactory,
    StudentFactory,
)

from .subsidy_data import BORN_P, P1, P2, F, M, years

NUTRITION = "census:report_nutrition"
# An area officer's page and the ministry's, for 1 school or 20: the same queries; fewer while the
# figures are kept (nothing they are computed from changed).
NUTRITION_QUERIES = 9
NUTRITION_KEPT_QUERIES = 6
# (grade, sex, weight, height) measured on 1 June 2024, born 1 July 2016; None: not measured.
LEARNERS = [
    (P1, M, 25, 130),  # well proportioned
    (P1, M, 19.5, 130),  # thin
    (P1, F, 50, 130),  # obese
    (P2, F, 24, 125),  # well proportioned
    (P2, M, None, None),  # not measured: no status
]


@pytest.fixture
def rounds(db):
    return years(2566, 2567)


def _freeze(school, round, learners, certifier, *, measured_on=date(2024, 6, 1)):
    """Enrol learners, measure them (the factory writes no status: stale, as before a backfill)
    and certify through the service, as the director does."""
    for grade, sex, weight, height in learners:
        student = StudentFactory(sex=sex, birth_date=BORN_P)
        EnrollmentFactory(student=student, school=school, grade=grade, started_on=date(2023, 5, 16))
        if weight is not None:
            MeasurementFactory(
                student=student, measured_on=measured_on, weight_kg=weight, height_cm=height
            )
    school_round = SchoolRound.objects.create(
        round=round, school=school, state=SchoolRound.State.CONFIRMED
    )
    return school_round_certify(
        school_round=school_round, actor=certifier, at=round.certify_opens + timedelta(minutes=5)
    )


@pytest.fixture
def frozen(rounds, school, director):
    return _freeze(school, rounds[(2567, 1)], LEARNERS, director)


# --- the freeze -----------------------------------------------------------------------------------


def test_the_freeze_writes_each_learners_status_with_the_figures(frozen):
    rows = list(SnapshotRow.objects.filter(snapshot=frozen).order_by("student_id"))
    assert len(rows) == 5
    for row in rows:
        if row.weight_kg is None:
            assert (row.wfh_band, row.nutrition_reference) == ("", "")
            continue
        status = assess(
            sex=row.sex, birth_date=row.birth_date, measured_on=row.measured_on,
            weight_kg=row.weight_kg, height_cm=row.height_cm,
        )  # fmt: skip
        assert (row.wfh_z, row.hfa_z, row.wfa_z) == (status.wfh_z, status.hfa_z, status.wfa_z)
        assert (row.wfh_band, row.hfa_band, row.wfa_band, row.nutrition_issue) == (
            status.wfh_band, status.hfa_band, status.wfa_band, status.issue,
        )  # fmt: skip
        assert row.nutrition_reference == status.reference
    assert [r.wfh_band for r in rows] == ["proportionate", "thin", "obese", "proportionate", ""]
    # The stale measurements were brought up to date in the same pass.
    assert not Measurement.objects.filter(nutrition_reference="").exists()


def test_the_freeze_counts_each_band_by_grade_and_sex(frozen):
    counts = {
        (c.indicator, c.grade, c.sex, c.band): c.learners
        for c in SnapshotNutritionCount.objects.filter(snapshot=frozen)
    }
    assert {k[1:]: n for k, n in counts.items() if k[0] == "wfh"} == {
        (P1, M, "proportionate"): 1, (P1, M, "thin"): 1, (P1, F, "obese"): 1,
        (P2, F, "proportionate"): 1, (P2, M, ""): 1,
    }  # fmt: skip
    for indicator in ("wfh", "hfa", "wfa"):
        assert sum(n for k, n in counts.items() if k[0] == indicator) == frozen.learner_count


def test_a_later_correction_leaves_the_frozen_status(client_as, frozen, area_officer):
    before = _get(client_as(area_officer), round=frozen.round.pk).context["report"]
    student = SnapshotRow.objects.get(snapshot=frozen, wfh_band="obese").student
    student.measurements.update(weight_kg=Decimal("24.0"), wfh_band="proportionate")
    student.sex = M
    student.save(update_fields=["sex"])
    after = _get(client_as(area_officer), round=frozen.round.pk).context["report"]
    assert after["detail"].rows == before["detail"].rows
    assert SnapshotRow.objects.get(snapshot=frozen, student=student).wfh_band == "obese"


def _freeze_queries(school, round, n, certifier):
    learners = [(P1, M, 25, 130), (P1, F, 24, 125)] * n
    for grade, sex, weight, height in learners:
        student = StudentFactory(sex=sex, birth_date=BORN_P)
        EnrollmentFactory(student=student, school=school, grade=grade, started_on=date(2023, 5, 16))
        MeasurementFactory(student=student, weight_kg=weight, height_cm=height,
                           measured_on=date(2024, 6, 1))  # fmt: skip
    school_round = SchoolRound.objects.create(
        round=round, school=school, state=SchoolRound.State.CONFIRMED
    )
    with CaptureQueriesContext(connection) as queries:
        school_round_certify(
            school_round=school_round,
            actor=certifier,
            at=round.certify_opens + timedelta(minutes=5),
        )
    return len(queries)


def test_the_freeze_computes_statuses_in_bulk(rounds, area, director):
    june = rounds[(2567, 1)]
    small = _freeze_queries(SchoolFactory(area_office=area), june, 1, director)
    large = _freeze_queries(SchoolFactory(area_office=area), june, 40, director)
    assert small == large  # one read and one write of statuses, whatever the school's size


# --- the report -----------------------------------------------------------------------------------


def _get(client, **params):
    return client.get(reverse(NUTRITION), params)


def _by_key(table):
    return {tuple(r[:4]): r[4:] for r in table.rows}


def test_the_area_report_gives_percent_per_band_by_school_grade_and_sex(
    client_as, frozen, area_officer, school
):
    response = _get(client_as(area_officer), round=frozen.round.pk)
    assert response.status_code == 200
    report = response.context["report"]
    detail = {(r[0], r[2], r[3]): r[4:] for r in report["detail"].rows}
    p1_boys = detail[(school.code, "ป.1", "ชาย")]
    # Learners, with a status, thin, rather thin, proportionate, plump, getting fat, obese, none.
    assert p1_boys == [2, 2, Decimal("50.0"), Decimal("0.0"), Decimal("50.0"), Decimal("0.0"),
                       Decimal("0.0"), Decimal("0.0"), 0]  # fmt: skip
    p2_boys = detail[(school.code, "ป.2", "ชาย")]
    assert p2_boys[:2] == [1, 0] and p2_boys[-1] == 1  # not measured: no percent
    assert report["sexes"].total[1:3] == [5, 4]
    body = response.content.decode()
    assert "<svg" in body and school.code in body


def test_the_report_reads_round_over_round(client_as, rounds, school, director, area_officer):
    nov, june = rounds[(2566, 2)], rounds[(2567, 1)]
    _freeze(school, nov, [(P1, M, 19.5, 130), (P1, F, 19, 128)], director,
            measured_on=date(2023, 11, 1))  # fmt: skip
    _freeze(school, june, [(P2, M, 25, 130)], director)
    report = _get(client_as(area_officer), round=june.pk).context["report"]
    trend = {r[0]: r[2:] for r in report["trend"].rows}
    # Learners, with a status, thin %, rather thin %, proportionate %: November's two thin; in
    # June they are still on the roll, with their November figures, beside one proportionate.
    assert trend[str(nov)][:5] == [2, 2, Decimal("100.0"), Decimal("0.0"), Decimal("0.0")]
    assert trend[str(june)][:5] == [3, 3, Decimal("66.7"), Decimal("0.0"), Decimal("33.3")]


def test_the_height_indicator_and_a_wrong_one(client_as, frozen, area_officer):
    client = client_as(area_officer)
    report = _get(client, round=frozen.round.pk, indicator="hfa").context["report"]
    assert report["indicator"][0] == "hfa" and len(report["sexes"].header) == 1 + 2 + 5 + 1
    assert _get(client, round=frozen.round.pk, indicator="bmi").status_code == 404


def test_the_downloads(client_as, frozen, area_officer, school):
    client = client_as(area_officer)
    text = _get(client, round=frozen.round.pk, export="detail", format="csv").content.decode(
        "utf-8-sig"
    )
    lines = text.splitlines()
    assert len(lines) == 1 + 4  # P1 boys, P1 girls, P2 boys, P2 girls
    assert any(line.startswith(f"{school.code},") and ",50.0," in line for line in lines)
    response = _get(client, round=frozen.round.pk, export="units", format="xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert rows[0][0] == school.code and rows[0][2:4] == (5, 4)


def test_another_areas_officer_sees_none_of_it(client_as, frozen, other_area_officer, school):
    client = client_as(other_area_officer)
    body = _get(client, round=frozen.round.pk).content.decode()
    assert school.code not in body
    assert _get(client, area=school.area_office.code).status_code == 404
    text = _get(client, round=frozen.round.pk, export="detail", format="csv").content
    assert school.code not in text.decode("utf-8-sig")


def test_the_ministry_sees_every_area(
    client_as, rounds, frozen, ministry_admin, other_school, director, school
):
    _freeze(other_school, rounds[(2567, 1)], [(P1, F, 50, 130)], director)
    client = client_as(ministry_admin)
    report = _get(client, round=frozen.round.pk).context["report"]
    units = {r[0]: r for r in report["units"].rows}  # by area office
    assert set(units) == {school.area_office.code, other_school.area_office.code}
    assert units[other_school.area_office.code][2:4] == [1, 1]
    one_area = _get(client, round=frozen.round.pk, area=other_school.area_office.code)
    assert [r[0] for r in one_area.context["report"]["units"].rows] == [other_school.code]


@pytest.mark.parametrize("persona", ["staff", "director", "other_school_staff", "id_approver"])
def test_school_users_get_no_nutrition_report(client_as, request, frozen, persona):
    client = client_as(request.getfixturevalue(persona))
    assert _get(client).status_code == 403
    assert _get(client, export="detail", format="csv").status_code == 403


def _schools(area, round, certifier, n):
    for _ in range(n):
        _freeze(SchoolFactory(area_office=area), round, [(P1, M, 25, 130), (P2, F, 50, 130)],
                certifier)  # fmt: skip


@pytest.mark.parametrize("who", ["area_officer", "ministry_admin"])
def test_the_report_runs_a_fixed_number_of_queries(
    client_as, request, rounds, area, director, django_assert_num_queries, who
):
    june = rounds[(2567, 1)]
    client = client_as(request.getfixturevalue(who))
    _schools(area, june, director, 1)
    _get(client, round=june.pk)  # warm the session and content types; the figures kept
    with django_assert_num_queries(NUTRITION_KEPT_QUERIES):
        assert _get(client, round=june.pk).status_code == 200
    _schools(area, june, director, 1)  # a certification: the kept figures are stale
    with django_assert_num_queries(NUTRITION_QUERIES):
        assert _get(client, round=june.pk).status_code == 200
    _schools(area, june, director, 18)
    with django_assert_num_queries(NUTRITION_QUERIES):
        response = _get(client, round=june.pk)
    assert response.context["report"]["sexes"].total[1] == 40


def test_the_kept_figures_follow_a_revocation_and_a_school_moved(
    client_as, ministry_admin, rounds, area, director
):
    """The report is kept between views, never past a change: a revoked certification leaves it,
    a school moved to another area office counts there, as computed afresh."""
    june = rounds[(2567, 1)]
    client = client_as(ministry_admin)
    _schools(area, june, director, 2)
    first = _get(client, round=june.pk).context["report"]
    assert first["sexes"].total[1] == 4
    assert _get(client, round=june.pk).context["report"] == first  # kept
    school_round = SchoolRound.objects.filter(round=june).first()
    school_round_revoke(school_round=school_round, actor=ministry_admin, reason="ข้อมูลไม่ถูกต้อง")
    assert _get(client, round=june.pk).context["report"]["sexes"].total[1] == 2
    other = AreaOfficeFactory()
    moved = SchoolRound.objects.get(round=june, state="certified").school_id
    School.objects.filter(pk=moved).update(area_office=other)
    units = _get(client, round=june.pk).context["report"]["units"].rows
    assert [row[0] for row in units] == [other.code]


def test_the_migration_counts_the_snapshots_frozen_before_it(rounds, school):
    """A snapshot frozen before the counts per band existed: its learners counted under no status
    (its rows froze none), once, however often the backfill runs."""
    import importlib

    from .subsidy_data import certify

    snapshot = certify(school, rounds[(2567, 1)], [(P1, M, BORN_P), (P1, F, BORN_P)])
    SnapshotNutritionCount.objects.filter(snapshot=snapshot).delete()
    migration = importlib.import_module("census.migrations.0010_snapshot_nutrition")
    assert migration.backfill(connection) == 6  # 2 sexes × 3 indicators, band empty
    assert migration.backfill(connection) == 0
    counts = SnapshotNutritionCount.objects.filter(snapshot=snapshot)
    assert {(c.indicator, c.sex, c.band, c.learners) for c in counts} == {
        (i, s, "", 1) for i in ("wfh", "hfa", "wfa") for s in (M, F)
    }
