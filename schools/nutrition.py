"""Nutrition status from a learner's sex, age, weight and height.

Z-scores by the WHO's LMS method (WHO 2006 Child Growth Standards up to 60 completed months, WHO 2007
Growth Reference from 61 to 228 months) and the Department of Health's bands on them. The LMS tables
and the band cut-offs are data, in the directory ``settings.NUTRITION_REFERENCE_DIR`` (its
``manifest.json`` names the files and the version written on every status; ``schools/growth/README.md``
says where each file comes from). A new reference is a new directory and a backfill, not new code.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from .bulk import select_values, update_rows

# WHO's conventions: a month is 30.4375 days; WHO 2006 (by day) covers 0–1856 days, WHO 2007 (by month)
# 61–228 months, its weight-for-age only up to 120 months.
DAYS_PER_MONTH = 30.4375
WHO2006_LAST_DAY = 1856
YOUNGEST_DAYS = (
    731  # from 2 years a child is measured standing: height-for-age and weight-for-height
)
WHO2007_LAST_MONTH = 228
WHO2007_WFA_LAST_MONTH = 120
OLDEST_YEARS = 25  # an age beyond it is a wrong birth date, not an old learner
WFH_HEIGHT_MM = (650, 1200)  # WHO 2006 weight-for-height: 65.0–120.0 cm


class Band(models.TextChoices):
    """The Department of Health's bands; which z-scores fall in each is data (bands.csv)."""

    # weight-for-height (under 5) and BMI-for-age (5–19): the learner's build
    THIN = "thin", _("Thin")
    RATHER_THIN = "rather_thin", _("Rather thin")
    PROPORTIONATE = "proportionate", _("Well proportioned")
    PLUMP = "plump", _("Plump")
    GETTING_FAT = "getting_fat", _("Getting fat")
    OBESE = "obese", _("Obese")
    # height-for-age
    SHORT = "short", _("Short")
    RATHER_SHORT = "rather_short", _("Rather short")
    HEIGHT_NORMAL = "height_normal", _("Height for age as expected")
    RATHER_TALL = "rather_tall", _("Rather tall")
    TALL = "tall", _("Tall")
    # weight-for-age
    UNDERWEIGHT = "underweight", _("Underweight")
    RATHER_UNDERWEIGHT = "rather_underweight", _("Rather underweight")
    WEIGHT_NORMAL = "weight_normal", _("Weight for age as expected")
    RATHER_OVERWEIGHT = "rather_overweight", _("Rather overweight")
    OVERWEIGHT = "overweight", _("Overweight")


class Issue(models.TextChoices):
    """Why a measurement has no status, or why its status is not to be trusted."""

    NO_SEX = "no_sex", _("No status: the learner's sex is not recorded.")
    NO_BIRTH_DATE = "no_birth_date", _("No status: the learner's birth date is not recorded.")
    BORN_AFTER = "born_after", _("No status: the birth date is after the date measured.")
    AGE_IMPOSSIBLE = (
        "age_impossible",
        _("No status: the learner would be over 25 years old. Check the birth date."),
    )
    TOO_OLD = "too_old", _("No status: the WHO reference stops at 19 years.")
    TOO_YOUNG = "too_young", _("No status: a learner under 2 years is measured lying down.")
    IMPLAUSIBLE = (
        "implausible",
        _("Implausible: a z-score beyond ±5. Check the figures (typed in pounds or inches?)."),
    )


INDICATORS = ("wfh", "hfa", "wfa")


@dataclass(frozen=True)
class Status:
    """One measurement's ages, z-scores (2 decimals, as the WHO rounds them), bands and issue."""

    age_days: int | None = None
    wfh_z: Decimal | None = None
    hfa_z: Decimal | None = None
    wfa_z: Decimal | None = None
    wfh_band: str = ""
    hfa_band: str = ""
    wfa_band: str = ""
    issue: str = ""
    reference: str = ""

    FIELDS = (
        "age_days",
        "wfh_z",
        "hfa_z",
        "wfa_z",
        "wfh_band",
        "hfa_band",
        "wfa_band",
        "nutrition_issue",
        "nutrition_reference",
    )

    def as_fields(self) -> dict:
        """Return the Measurement fields and their values, for a model's constructor."""
        return dict(zip(self.FIELDS, self.values(), strict=True))

    def values(self) -> tuple:
        """Return the values of the Measurement fields named in FIELDS, in that order."""
        return (
            self.age_days,
            self.wfh_z,
            self.hfa_z,
            self.wfa_z,
            self.wfh_band,
            self.hfa_band,
            self.wfa_band,
            self.issue,
            self.reference,
        )


# --- the reference -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    version: str
    implausible_z: float
    # table name → {(sex 1 male / 2 female, key): (L, M, S)}; key: day, completed month, or mm of height
    tables: dict[str, dict[tuple[int, int], tuple[float, float, float]]]
    # indicator → [(band, z below which it applies, or None for the last; whether z equal applies)]
    bands: dict[str, list[tuple[str, float | None, bool]]]


class ReferenceError(Exception):
    """The reference directory is missing a file, or a file is not what its manifest says."""


def _read_table(path: Path, by: str) -> dict[tuple[int, int], tuple[float, float, float]]:
    rows = {}
    with path.open(newline="", encoding="ascii") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if by == "height_mm":
                key = round(float(row["height"]) * 10)
            else:
                key = int(row["age"])
            rows[(int(row["sex"]), key)] = (float(row["l"]), float(row["m"]), float(row["s"]))
    return rows


def _read_bands(path: Path) -> dict[str, list[tuple[str, float | None, bool]]]:
    known = set(Band.values)
    bands: dict[str, list] = {}
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["band"] not in known or row["indicator"] not in INDICATORS:
                raise ReferenceError(f"{path.name}: unknown band {row['indicator']}/{row['band']}")
            below = float(row["below"]) if row["below"].strip() else None
            bands.setdefault(row["indicator"], []).append(
                (row["band"], below, row["or_equal"].strip() == "yes")
            )
    for indicator in INDICATORS:
        rows = bands.get(indicator) or [("", 0.0, False)]
        limits = [below for _band, below, _eq in rows[:-1]]
        if rows[-1][1] is not None or None in limits or limits != sorted(limits):
            raise ReferenceError(f"{path.name}: the {indicator} bands must rise and end open")
    return bands


def load_reference(directory: Path | str) -> Reference:
    """Read a reference directory: its manifest, LMS tables (checked against their hashes) and bands."""
    directory = Path(directory)
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        for name, digest in manifest.get("sha256", {}).items():
            if hashlib.sha256((directory / name).read_bytes()).hexdigest() != digest:
                raise ReferenceError(f"{name} is not the file its manifest names")
        tables = {
            name: _read_table(directory / spec["file"], spec["by"])
            for name, spec in manifest["tables"].items()
        }
        bands = _read_bands(directory / manifest["bands"])
    except (OSError, KeyError, ValueError) as exc:
        raise ReferenceError(f"{directory}: {exc}") from exc
    return Reference(
        version=manifest["version"],
        implausible_z=float(manifest.get("implausible_z", 5)),
        tables=tables,
        bands=bands,
    )


@cache
def _reference_at(directory: str) -> Reference:
    return load_reference(directory)


def reference() -> Reference:
    """Return the reference in use (read once per process)."""
    return _reference_at(str(settings.NUTRITION_REFERENCE_DIR))


# --- the LMS method ----------------------------------------------------------------------------


def lms_z(y: float, lms: tuple[float, float, float]) -> float:
    """Return the z-score of a measurement y on a distribution given by L, M and S."""
    l, m, s = lms  # noqa: E741 — the method's own names
    if l == 0:
        return math.log(y / m) / s
    return ((y / m) ** l - 1) / (l * s)


def lms_value(z: float, lms: tuple[float, float, float]) -> float:
    """Return the measurement at a z-score: the inverse of lms_z."""
    l, m, s = lms  # noqa: E741
    if l == 0:
        return m * math.exp(s * z)
    return m * (1 + l * s * z) ** (1 / l)


def restricted_z(y: float, lms: tuple[float, float, float]) -> float:
    """Return the z-score of a weight-based measurement, with the WHO's restricted tails.

    Beyond ±3 the LMS curve is not followed (its skew would stretch or squeeze the tail): the WHO
    extends it linearly with the distance between the 2nd and 3rd SD (WHO 2006, chapter 7)."""
    z = lms_z(y, lms)
    if z > 3:
        sd3 = lms_value(3, lms)
        return 3 + (y - sd3) / (sd3 - lms_value(2, lms))
    if z < -3:
        sd3 = lms_value(-3, lms)
        return -3 + (y - sd3) / (lms_value(-2, lms) - sd3)
    return z


def _by_month(
    table: dict[tuple[int, int], tuple[float, float, float]], sex: int, months: float
) -> tuple[float, float, float] | None:
    """Return L, M and S at an age in months, interpolated between completed months (WHO 2007)."""
    low = math.floor(months)
    below, above = table.get((sex, low)), table.get((sex, low + 1))
    if below is None:
        return None
    if above is None or months == low:
        return below
    t = months - low
    return tuple(a + t * (b - a) for a, b in zip(below, above, strict=True))


def _rounded(z: float | None) -> Decimal | None:
    if z is None:
        return None
    # The column holds ±999.99: further than that only says "impossible" louder.
    return Decimal(str(round(max(-999.99, min(999.99, z)), 2)))


def band_of(ref: Reference, indicator: str, z: Decimal | None) -> str:
    """Return the band a z-score falls in, by the reference's cut-offs."""
    if z is None:
        return ""
    value = float(z)
    for band, below, or_equal in ref.bands[indicator]:
        if below is None or value < below or (or_equal and value == below):
            return band
    return ""


def zscores_who2006(
    ref: Reference, sex: int, days: int, weight: float, height: float
) -> dict[str, float | None]:
    """Return the unrounded z-scores by the WHO 2006 standards (sex 1 male, 2 female; age in days,
    standing height): weight-for-height, height-for-age and weight-for-age."""
    tables = ref.tables
    hfa = tables["who2006_hfa"].get((sex, days))
    wfa = tables["who2006_wfa"].get((sex, days))
    height_mm = round(height * 10)
    wfh = (
        tables["who2006_wfh"].get((sex, height_mm))
        if WFH_HEIGHT_MM[0] <= height_mm <= WFH_HEIGHT_MM[1]
        else None
    )
    return {
        "wfh": restricted_z(weight, wfh) if wfh else None,
        "hfa": lms_z(height, hfa) if hfa else None,
        "wfa": restricted_z(weight, wfa) if wfa else None,
    }


def zscores_who2007(
    ref: Reference, sex: int, months: float, weight: float, height: float
) -> dict[str, float | None]:
    """Return the unrounded z-scores by the WHO 2007 reference (age in months): the build is
    BMI-for-age (school-age children have no weight-for-height reference), then height-for-age and
    weight-for-age (to 120 months only)."""
    tables = ref.tables
    if not 60 <= months <= WHO2007_LAST_MONTH:
        return dict.fromkeys(INDICATORS)
    bfa = _by_month(tables["who2007_bfa"], sex, months)
    hfa = _by_month(tables["who2007_hfa"], sex, months)
    wfa = (
        _by_month(tables["who2007_wfa"], sex, months) if months <= WHO2007_WFA_LAST_MONTH else None
    )
    return {
        "wfh": restricted_z(weight / (height / 100) ** 2, bfa) if bfa else None,
        "hfa": lms_z(height, hfa) if hfa else None,
        "wfa": restricted_z(weight, wfa) if wfa else None,
    }


def age_in_days(birth_date: date, measured_on: date) -> int:
    """Return the exact age in days, as the WHO counts it (the day of birth is day 0)."""
    return (measured_on - birth_date).days


def assess(
    *,
    sex: str | None,
    birth_date: date | None,
    measured_on: date,
    weight_kg: Decimal | float,
    height_cm: Decimal | float,
    ref: Reference | None = None,
) -> Status:
    """Return a measurement's nutrition status, or the reason it has none. Never raises on data."""
    ref = ref or reference()
    code = {"M": 1, "F": 2}.get(sex or "")
    if code is None:
        return Status(issue=Issue.NO_SEX.value, reference=ref.version)
    if birth_date is None:
        return Status(issue=Issue.NO_BIRTH_DATE.value, reference=ref.version)
    days = age_in_days(birth_date, measured_on)
    if days < 0:
        return Status(issue=Issue.BORN_AFTER.value, reference=ref.version)
    try:
        beyond = measured_on >= birth_date.replace(year=birth_date.year + OLDEST_YEARS)
    except ValueError:  # born on 29 February
        beyond = measured_on >= date(birth_date.year + OLDEST_YEARS, 3, 1)
    if beyond:
        return Status(age_days=days, issue=Issue.AGE_IMPOSSIBLE.value, reference=ref.version)
    months = days / DAYS_PER_MONTH
    if months > WHO2007_LAST_MONTH:
        return Status(age_days=days, issue=Issue.TOO_OLD.value, reference=ref.version)
    if days < YOUNGEST_DAYS:
        return Status(age_days=days, issue=Issue.TOO_YOUNG.value, reference=ref.version)
    weight, height = float(weight_kg), float(height_cm)
    if days <= WHO2006_LAST_DAY:
        raw = zscores_who2006(ref, code, days, weight, height)
    else:
        raw = zscores_who2007(ref, code, months, weight, height)
    zs = {name: _rounded(z) for name, z in raw.items()}
    if any(z is not None and abs(z) > ref.implausible_z for z in zs.values()):
        bands = dict.fromkeys(INDICATORS, "")
        issue = Issue.IMPLAUSIBLE.value
    else:
        bands = {name: band_of(ref, name, z) for name, z in zs.items()}
        issue = ""
    return Status(
        age_days=days,
        wfh_z=zs["wfh"],
        hfa_z=zs["hfa"],
        wfa_z=zs["wfa"],
        wfh_band=bands["wfh"],
        hfa_band=bands["hfa"],
        wfa_band=bands["wfa"],
        issue=issue,
        reference=ref.version,
    )


# --- in bulk -----------------------------------------------------------------------------------

# What a measurement's status is computed from, as read by values_list: its figures and its learner.
STATUS_INPUTS = ("measured_on", "weight_kg", "height_cm", "student__sex", "student__birth_date")


def status_values(inputs, ref: Reference) -> tuple:
    """Return the status values (Status.FIELDS) of a measurement read as STATUS_INPUTS."""
    measured_on, weight, height, sex, birth_date = inputs
    return assess(
        sex=sex,
        birth_date=birth_date,
        measured_on=measured_on,
        weight_kg=weight,
        height_cm=height,
        ref=ref,
    ).values()


def backfill(*, everything: bool = False, batch_size: int = 5000, progress=None) -> int:
    """Compute the status of every measurement that has none, or one from another reference (with
    ``everything``, of every measurement); return how many were written.

    Batches in primary-key order, each one read and one written (an UPDATE from arrays on
    PostgreSQL) in its own transaction: stopped halfway, it goes on where it stopped."""
    from .models import Measurement  # schools.models imports this module (Band, Issue)

    ref = reference()
    rows = Measurement.objects.order_by("pk")
    if not everything:
        rows = rows.exclude(nutrition_reference=ref.version)
    columns = ("pk", *STATUS_INPUTS)
    last, written = 0, 0
    while True:
        with transaction.atomic():
            batch = select_values(rows.filter(pk__gt=last).values_list(*columns)[:batch_size])
            if not batch:
                return written
            update_rows(
                Measurement,
                Status.FIELDS,
                [(pk, *status_values(inputs, ref)) for pk, *inputs in batch],
            )
        last, written = batch[-1][0], written + len(batch)
        if progress:
            progress(written)
