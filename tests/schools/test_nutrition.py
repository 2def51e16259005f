"""Nutrition status: the WHO's own published z-scores, the LMS rows, the Department of Health's band
edges, bad input, the reference as data, and the status saved with the figures and in bulk."""

import io
import json
import shutil
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from schools import nutrition
from schools.models import Grade, Measurement, Sex
from schools.nutrition import Band, Issue, assess, band_of, lms_value, reference
from schools.services import MeasurementEntry, measurements_record

from ..factories import EnrollmentFactory, MeasurementFactory, StudentFactory

BORN = date(2016, 1, 1)


def at_days(days: int) -> date:
    return BORN + timedelta(days=days)


# --- the WHO's published examples ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("sex", "days", "weight", "height", "wfh", "hfa", "wfa"),
    [
        # The WHO anthro package's README (WHO 2006 standards; age in days, standing height).
        ("M", 1001, 18, 120, "-2.39", "7.31", "2.20"),
        ("F", 1000, 15, 80, "4.13", "-3.50", "0.95"),  # weight-for-height beyond +3: restricted
        ("M", 1010, 10, 100, "-5.19", "1.62", "-2.76"),  # beyond −3: restricted
        ("M", 1000, 15, 100, "-0.29", "1.70", "0.69"),
    ],
)
def test_who_2006_examples_are_reproduced(sex, days, weight, height, wfh, hfa, wfa):
    status = assess(
        sex=sex, birth_date=BORN, measured_on=at_days(days), weight_kg=weight, height_cm=height
    )
    assert status.age_days == days
    assert (status.wfh_z, status.hfa_z, status.wfa_z) == (Decimal(wfh), Decimal(hfa), Decimal(wfa))


@pytest.mark.parametrize(
    ("months", "weight", "height", "bfa", "hfa", "wfa"),
    [
        # The WHO anthroplus package's tests (WHO 2007 reference, girls, age in months).
        (60.32, 18.7, 113.8, -0.58, 0.96, 0.21),
        (60.911701, 20.5, 113.6, 0.42, 0.85, 0.79),
    ],
)
def test_who_2007_examples_are_reproduced(months, weight, height, bfa, hfa, wfa):
    z = nutrition.zscores_who2007(reference(), 2, months, weight, height)
    assert (round(z["wfh"], 2), round(z["hfa"], 2), round(z["wfa"], 2)) == (bfa, hfa, wfa)


# --- the LMS rows themselves --------------------------------------------------------------------

# 96 months is 2922 days exactly (WHO: a month is 30.4375 days): the table's own row, no interpolation.
EIGHT_YEARS = 2922


def test_at_the_median_and_the_sd_curves_of_a_who_2007_row_the_z_scores_are_whole():
    ref = reference()
    hfa = ref.tables["who2007_hfa"][(2, 96)]
    wfa = ref.tables["who2007_wfa"][(2, 96)]
    bfa = ref.tables["who2007_bfa"][(2, 96)]
    for z in (-2, -1, 0, 1, 2):
        height = lms_value(z, hfa)
        weight = lms_value(z, wfa)
        status = assess(
            sex="F",
            birth_date=BORN,
            measured_on=at_days(EIGHT_YEARS),
            weight_kg=weight,
            height_cm=height,
        )
        assert (status.hfa_z, status.wfa_z) == (Decimal(z), Decimal(z))
        # BMI-for-age: the weight that puts the BMI on the curve at this height
        bmi_weight = lms_value(z, bfa) * (height / 100) ** 2
        status = assess(
            sex="F",
            birth_date=BORN,
            measured_on=at_days(EIGHT_YEARS),
            weight_kg=bmi_weight,
            height_cm=height,
        )
        assert status.wfh_z == Decimal(z)


def test_at_the_median_and_sd_curves_of_a_who_2006_row_the_z_scores_are_whole():
    ref = reference()
    wfa = ref.tables["who2006_wfa"][(1, 1000)]
    wfh = ref.tables["who2006_wfh"][(1, 950)]  # 95.0 cm
    for z in (-2, -1, 0, 1, 2, 3):
        status = assess(
            sex="M",
            birth_date=BORN,
            measured_on=at_days(1000),
            weight_kg=lms_value(z, wfa),
            height_cm=95,
        )
        assert status.wfa_z == Decimal(z)
        status = assess(
            sex="M",
            birth_date=BORN,
            measured_on=at_days(1000),
            weight_kg=lms_value(z, wfh),
            height_cm=95,
        )
        assert status.wfh_z == Decimal(z)


def test_weight_beyond_3_sd_follows_the_who_restricted_tail_not_the_lms_curve():
    wfa = reference().tables["who2007_wfa"][(1, 96)]
    sd2, sd3 = lms_value(2, wfa), lms_value(3, wfa)
    heavy = sd3 + (sd3 - sd2)  # one "2-to-3 SD" step beyond +3: z = 4 on the restricted scale
    status = assess(
        sex="M", birth_date=BORN, measured_on=at_days(EIGHT_YEARS), weight_kg=heavy, height_cm=128
    )
    assert status.wfa_z == Decimal(4)
    assert round(nutrition.lms_z(heavy, wfa), 2) != 4  # the LMS curve alone says otherwise
    light = lms_value(-3, wfa) - (lms_value(-2, wfa) - lms_value(-3, wfa))
    status = assess(
        sex="M", birth_date=BORN, measured_on=at_days(EIGHT_YEARS), weight_kg=light, height_cm=128
    )
    assert status.wfa_z == Decimal(-4)


def test_height_is_never_restricted():
    hfa = reference().tables["who2007_hfa"][(1, 96)]
    tall = lms_value(3, hfa) + 2 * (lms_value(3, hfa) - lms_value(2, hfa))
    z = nutrition.zscores_who2007(reference(), 1, 96, 25, tall)["hfa"]
    assert z == pytest.approx(nutrition.lms_z(tall, hfa))


def test_between_completed_months_the_lms_values_are_interpolated():
    ref = reference()
    low, high = ref.tables["who2007_hfa"][(1, 96)], ref.tables["who2007_hfa"][(1, 97)]
    middle = tuple((a + b) / 2 for a, b in zip(low, high, strict=True))
    z = nutrition.zscores_who2007(ref, 1, 96.5, 25, 130)["hfa"]
    assert z == pytest.approx(nutrition.lms_z(130, middle))


# --- the Department of Health's bands -------------------------------------------------------------


@pytest.mark.parametrize(
    ("indicator", "z", "band"),
    [
        ("wfh", "-2.01", Band.THIN),
        ("wfh", "-2.00", Band.RATHER_THIN),
        ("wfh", "-1.51", Band.RATHER_THIN),
        ("wfh", "-1.50", Band.PROPORTIONATE),
        ("wfh", "1.50", Band.PROPORTIONATE),
        ("wfh", "1.51", Band.PLUMP),
        ("wfh", "2.00", Band.PLUMP),
        ("wfh", "2.01", Band.GETTING_FAT),
        ("wfh", "3.00", Band.GETTING_FAT),
        ("wfh", "3.01", Band.OBESE),
        ("hfa", "-2.01", Band.SHORT),
        ("hfa", "-2.00", Band.RATHER_SHORT),
        ("hfa", "-1.50", Band.HEIGHT_NORMAL),
        ("hfa", "1.50", Band.HEIGHT_NORMAL),
        ("hfa", "1.51", Band.RATHER_TALL),
        ("hfa", "2.00", Band.RATHER_TALL),
        ("hfa", "2.01", Band.TALL),
        ("wfa", "-2.01", Band.UNDERWEIGHT),
        ("wfa", "-2.00", Band.RATHER_UNDERWEIGHT),
        ("wfa", "-1.50", Band.WEIGHT_NORMAL),
        ("wfa", "1.50", Band.WEIGHT_NORMAL),
        ("wfa", "1.51", Band.RATHER_OVERWEIGHT),
        ("wfa", "2.00", Band.RATHER_OVERWEIGHT),
        ("wfa", "2.01", Band.OVERWEIGHT),
    ],
)
def test_band_edges(indicator, z, band):
    assert band_of(reference(), indicator, Decimal(z)) == band


def test_a_school_age_child_s_build_is_bmi_for_age_and_weight_for_age_stops_at_10_years():
    ten_and_a_half = assess(
        sex="M", birth_date=BORN, measured_on=at_days(3835), weight_kg=34, height_cm=141
    )
    assert ten_and_a_half.wfh_band and ten_and_a_half.hfa_band
    assert ten_and_a_half.wfa_z is None and ten_and_a_half.wfa_band == ""
    assert ten_and_a_half.issue == ""


# --- bad input: no status and a reason, never an exception ---------------------------------------


@pytest.mark.parametrize(
    ("sex", "birth_date", "measured_on", "issue"),
    [
        ("", BORN, date(2024, 6, 1), Issue.NO_SEX),
        (None, BORN, date(2024, 6, 1), Issue.NO_SEX),
        ("X", BORN, date(2024, 6, 1), Issue.NO_SEX),
        ("M", None, date(2024, 6, 1), Issue.NO_BIRTH_DATE),
        ("M", date(2024, 6, 2), date(2024, 6, 1), Issue.BORN_AFTER),
        ("M", date(1999, 6, 1), date(2024, 6, 1), Issue.AGE_IMPOSSIBLE),  # 25 years that day
        ("M", date(2004, 2, 29), date(2029, 3, 1), Issue.AGE_IMPOSSIBLE),  # born on 29 February
        ("M", date(2004, 6, 1), date(2024, 6, 1), Issue.TOO_OLD),  # 20 years
        ("M", date(2023, 6, 1), date(2024, 6, 1), Issue.TOO_YOUNG),  # 1 year
    ],
)
def test_impossible_or_uncovered_ages_and_no_sex_give_a_reason_and_no_status(
    sex, birth_date, measured_on, issue
):
    status = assess(
        sex=sex, birth_date=birth_date, measured_on=measured_on, weight_kg=25, height_cm=128
    )
    assert status.issue == issue
    assert (status.wfh_band, status.hfa_band, status.wfa_band) == ("", "", "")
    assert (status.wfh_z, status.hfa_z, status.wfa_z) == (None, None, None)


def test_19_years_is_still_covered():
    status = assess(
        sex="F", birth_date=BORN, measured_on=at_days(228 * 30), weight_kg=52, height_cm=160
    )
    assert status.issue == "" and status.hfa_band == Band.HEIGHT_NORMAL


@pytest.mark.parametrize(
    ("weight", "height", "what"),
    [
        (Decimal("55.1"), Decimal("128.0"), "25 kg typed in pounds"),
        (Decimal("25.0"), Decimal("50.4"), "128 cm typed in inches"),
    ],
)
def test_pounds_or_inches_are_flagged_implausible_not_converted(weight, height, what):
    status = assess(
        sex="M",
        birth_date=BORN,
        measured_on=at_days(EIGHT_YEARS),
        weight_kg=weight,
        height_cm=height,
    )
    assert status.issue == Issue.IMPLAUSIBLE, what
    assert max(abs(z) for z in (status.wfh_z, status.hfa_z, status.wfa_z)) > 5
    assert (status.wfh_band, status.hfa_band, status.wfa_band) == ("", "", "")


def test_an_absurd_figure_is_kept_within_the_column():
    status = assess(
        sex="M", birth_date=BORN, measured_on=at_days(1000), weight_kg=200, height_cm=65
    )
    assert status.issue == Issue.IMPLAUSIBLE
    assert all(abs(z) <= Decimal("999.99") for z in (status.wfh_z, status.hfa_z, status.wfa_z))


# --- the reference is data ------------------------------------------------------------------------


def copy_reference(tmp_path, version):
    directory = tmp_path / "reference"
    shutil.copytree(reference_dir(), directory)
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["version"] = version
    (directory / "manifest.json").write_text(json.dumps(manifest))
    return directory


def reference_dir():
    from django.conf import settings

    return settings.NUTRITION_REFERENCE_DIR


def test_new_cut_offs_load_without_code_changes(tmp_path, settings):
    directory = copy_reference(tmp_path, "test-2570")
    bands = (directory / "bands.csv").read_text().replace("hfa,short,-2,", "hfa,short,-3,")
    (directory / "bands.csv").write_text(bands)
    settings.NUTRITION_REFERENCE_DIR = directory
    height = lms_value(-2.5, reference().tables["who2007_hfa"][(1, 96)])
    status = assess(
        sex="M", birth_date=BORN, measured_on=at_days(EIGHT_YEARS), weight_kg=25, height_cm=height
    )
    assert status.reference == "test-2570"
    assert -3 < status.hfa_z < -2 and status.hfa_band == Band.RATHER_SHORT


def test_a_table_that_is_not_the_one_its_manifest_names_is_refused(tmp_path, settings):
    directory = copy_reference(tmp_path, "tampered")
    table = directory / "hfawho2007.txt"
    table.write_bytes(table.read_bytes().replace(b"163.1548", b"163.1549"))
    with pytest.raises(nutrition.ReferenceError, match="hfawho2007.txt"):
        nutrition.load_reference(directory)


def test_bands_that_do_not_rise_are_refused(tmp_path):
    directory = copy_reference(tmp_path, "bad-bands")
    bands = (directory / "bands.csv").read_text().replace("wfa,overweight,,", "wfa,overweight,1,")
    (directory / "bands.csv").write_text(bands)
    with pytest.raises(nutrition.ReferenceError, match="wfa"):
        nutrition.load_reference(directory)


# --- saved with the figures, and in bulk ----------------------------------------------------------


@pytest.fixture
def room(school):
    return [
        EnrollmentFactory(school=school, grade=Grade.P3, room=1, student=StudentFactory(**kw))
        for kw in (
            {"birth_date": date(2018, 3, 1)},
            {"birth_date": date(2017, 9, 1), "sex": Sex.FEMALE, "title": "ด.ญ."},
            {"birth_date": date(2030, 1, 1)},  # a birth date typed wrong
        )
    ]


def statuses():
    return list(
        Measurement.objects.order_by("student_id").values_list(
            "wfh_band", "hfa_band", "wfa_band", "nutrition_issue", "nutrition_reference"
        )
    )


def test_recording_measurements_saves_their_status_and_a_correction_recomputes_it(
    school, staff, room
):
    day = date(2026, 6, 1)
    entries = [
        MeasurementEntry(room[0].student_id, day, Decimal("25.0"), Decimal("127.0")),
        MeasurementEntry(room[1].student_id, day, Decimal("24.0"), Decimal("128.0")),
        MeasurementEntry(room[2].student_id, day, Decimal("26.0"), Decimal("129.0")),
    ]
    measurements_record(school=school, actor=staff, entries=entries, source="form")
    version = reference().version
    first, second, wrong = statuses()
    # a boy of 8 years 3 months, 25 kg and 127 cm: BMI 15.5, all three near the median
    assert first[:4] == (Band.PROPORTIONATE, Band.HEIGHT_NORMAL, Band.WEIGHT_NORMAL, "")
    assert second[3] == "" and second[4] == version
    assert wrong == ("", "", "", Issue.BORN_AFTER, version)
    # 25 kg typed as 55.1 (pounds): corrected back, the status follows the figures
    for weight in (Decimal("55.1"), Decimal("25.0")):
        entries[0] = entries[0]._replace(weight_kg=weight)
        measurements_record(school=school, actor=staff, entries=entries[:1], source="form")
        issue = Measurement.objects.get(student_id=room[0].student_id).nutrition_issue
        assert issue == (Issue.IMPLAUSIBLE if weight > 50 else "")


def test_the_backfill_gives_a_status_to_every_measurement_in_batches_and_only_once(school):
    for n in range(5):
        MeasurementFactory(
            student=StudentFactory(birth_date=date(2017, 1, 1) + timedelta(days=30 * n)),
            weight_kg=Decimal(22 + n),
            height_cm=Decimal(120 + n),
        )
    assert {s[4] for s in statuses()} == {""}
    with CaptureQueriesContext(connection) as queries:
        call_command("nutrition_backfill", "--batch-size", "2", stdout=io.StringIO())
    # three batches of 2, 2 and 1 (a read and a write each, in their savepoints or transactions),
    # then one read that finds nothing: the same few statements for 5 rows or 5 million
    reads = [q for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len(reads) == 4
    assert {s[4] for s in statuses()} == {reference().version}
    assert all(s[0] and s[1] for s in statuses())
    with CaptureQueriesContext(connection) as again:
        call_command("nutrition_backfill", stdout=io.StringIO())
    assert not [q for q in again.captured_queries if "UPDATE" in q["sql"]]


def test_the_backfill_recomputes_everything_with_another_reference(tmp_path, settings, school):
    MeasurementFactory(student=StudentFactory(birth_date=date(2017, 1, 1)))
    call_command("nutrition_backfill", stdout=io.StringIO())
    settings.NUTRITION_REFERENCE_DIR = copy_reference(tmp_path, "test-2570")
    call_command("nutrition_backfill", stdout=io.StringIO())
    assert statuses()[0][4] == "test-2570"
