"""Per-head subsidy rates: kept as data, with their history (writes), and looked up by item and
grade for a fiscal year (reads). What the rates pay for: a grade's subsidy level, the fiscal year
that pays a term, and the items each term pays (textbooks and uniforms yearly, with term 1;
tuition, supplies and activities each term at half the yearly rate).

The allocation they give is census.allocation; its signed statements, census.statements.
"""

import csv
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from schools.checks import decimal_from_text, is_finite
from schools.models import Grade

from .models import SubsidyItem, SubsidyLevel, SubsidyRate, SubsidyRateChange

DEFAULT_RATES_CSV = Path(__file__).resolve().parent / "data" / "subsidy_rates.csv"
YEARLY_ITEMS = (SubsidyItem.TEXTBOOKS, SubsidyItem.UNIFORMS)
PER_TERM_ITEMS = (SubsidyItem.TUITION, SubsidyItem.LEARNING_SUPPLIES, SubsidyItem.ACTIVITIES)

CENT = Decimal("0.01")
GRADE_CODES = {g.value[2:]: g.value for g in Grade}  # "P1" → "04P1"


def level_of(grade: str) -> str:
    """Return the subsidy level of a grade value ("04P1" → primary)."""
    stage, number = grade[2], int(grade[3])
    if stage == "K":
        return SubsidyLevel.PRE_PRIMARY
    if stage == "P":
        return SubsidyLevel.PRIMARY
    return SubsidyLevel.LOWER_SECONDARY if number <= 3 else SubsidyLevel.UPPER_SECONDARY


def fiscal_year_of_term(*, academic_year: int, term: int) -> int:
    """Return the fiscal year (BE) that pays a term: term 1 of Y in FY Y, term 2 of Y in FY Y + 1."""
    return academic_year if term == 1 else academic_year + 1


def fiscal_year_of(day: date) -> int:
    """Return the fiscal year (BE) a day falls in (it begins on 1 October)."""
    return day.year + 543 + (1 if day.month >= 10 else 0)


def items_of_term(term: int) -> tuple[str, ...]:
    """Return the items paid in a term (yearly items ride on term 1)."""
    return (*PER_TERM_ITEMS, *YEARLY_ITEMS) if term == 1 else PER_TERM_ITEMS


def per_payment_rate(*, item: str, baht_per_year: Decimal) -> Decimal:
    """Return the baht per learner one term pays for an item (half the yearly rate if per term)."""
    return baht_per_year if item in YEARLY_ITEMS else baht_per_year / 2


# --- writes, with history ------------------------------------------------------------------------

RATE_FIELDS = ("fiscal_year", "item", "level", "grade", "baht_per_year", "status", "note", "source")


def _rate_values(rate: SubsidyRate) -> dict:
    values = {name: getattr(rate, name) for name in RATE_FIELDS}
    values["baht_per_year"] = str(Decimal(values["baht_per_year"]).quantize(CENT))
    return values


def check_subsidy_rate(*, fields: dict) -> None:
    """Refuse a grade outside its level and a negative rate; raise ValidationError naming the field."""
    grade = fields.get("grade") or ""
    if grade and (grade not in Grade.values or level_of(grade) != fields["level"]):
        raise ValidationError({"grade": _("The grade is not in that level.")}, code="grade")
    if not is_finite(fields["baht_per_year"]):
        raise ValidationError({"baht_per_year": _("Enter a number.")}, code="not_finite")
    if Decimal(fields["baht_per_year"]) < 0:
        raise ValidationError({"baht_per_year": _("A rate cannot be negative.")}, code="negative")


@transaction.atomic
def subsidy_rate_create(*, actor: User | None, **fields) -> SubsidyRate:
    """Add a rate and write its first history row."""
    fields.setdefault("grade", "")
    check_subsidy_rate(fields=fields)
    if SubsidyRate.objects.filter(
        fiscal_year=fields["fiscal_year"],
        item=fields["item"],
        level=fields["level"],
        grade=fields["grade"],
    ).exists():
        raise ValidationError(
            _("This rate exists already: change it instead."),
            code="exists",
        )
    rate = SubsidyRate.objects.create(**fields)
    SubsidyRateChange.objects.create(rate=rate, changed_by=actor, old=None, new=_rate_values(rate))
    return rate


@transaction.atomic
def subsidy_rate_update(*, rate: SubsidyRate, actor: User | None, **fields) -> SubsidyRate:
    """Change a rate's figure, status, note or source and write old → new to its history.

    Signed allocation statements keep the figures they were signed with.
    """
    rate = SubsidyRate.objects.select_for_update().get(pk=rate.pk)
    before = _rate_values(rate)
    merged = {name: fields.get(name, getattr(rate, name)) for name in RATE_FIELDS}
    check_subsidy_rate(fields=merged)
    if (merged["fiscal_year"], merged["item"], merged["level"], merged["grade"]) != (
        rate.fiscal_year,
        rate.item,
        rate.level,
        rate.grade,
    ) and SubsidyRate.objects.filter(
        fiscal_year=merged["fiscal_year"],
        item=merged["item"],
        level=merged["level"],
        grade=merged["grade"],
    ).exists():
        raise ValidationError(_("This rate exists already."), code="exists")
    for name, value in merged.items():
        setattr(rate, name, value)
    after = _rate_values(rate)
    if after == before:
        return rate
    rate.save(update_fields=[*RATE_FIELDS, "updated_at"])
    SubsidyRateChange.objects.create(rate=rate, changed_by=actor, old=before, new=after)
    return rate


def _csv_baht(text: str) -> Decimal:
    try:
        return decimal_from_text(text, places=CENT)
    except InvalidOperation:
        raise ValidationError({"baht_per_year": _("Enter a number.")}, code="not_finite") from None


def _csv_rate(row: dict) -> dict:
    status_text = row["status"].strip()
    grade = row["grade"].strip()
    if grade and grade not in GRADE_CODES:
        raise ValidationError(_("Unknown grade %(g)s.") % {"g": grade}, code="grade")
    return {
        "fiscal_year": int(row["fiscal_year_be"]),
        "item": row["item"].strip(),
        "level": row["level"].strip(),
        "grade": GRADE_CODES.get(grade, ""),
        "baht_per_year": _csv_baht(row["baht_per_year"]),
        "status": SubsidyRate.Status.CONFIRMED
        if status_text == "confirmed"
        else SubsidyRate.Status.PROVISIONAL,
        # Anything but a plain "confirmed" keeps the source's own words.
        "note": "" if status_text == "confirmed" else status_text[:300],
        "source": row["source"].strip()[:500],
    }


@transaction.atomic
def subsidy_rates_load(*, path: Path, actor: User | None = None) -> dict[str, int]:
    """Create or update the rates listed in a CSV file; return how many were created, changed
    and left as they were. Loading the same file twice changes nothing."""
    done = {"created": 0, "updated": 0, "unchanged": 0}
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            fields = _csv_rate(row)
            key = {k: fields[k] for k in ("fiscal_year", "item", "level", "grade")}
            rate = SubsidyRate.objects.filter(**key).first()
            if rate is None:
                subsidy_rate_create(actor=actor, **fields)
                done["created"] += 1
            elif _rate_values(rate) == _rate_values(SubsidyRate(**fields)):
                done["unchanged"] += 1
            else:
                subsidy_rate_update(rate=rate, actor=actor, **fields)
                done["updated"] += 1
    return done


# --- reads ---------------------------------------------------------------------------------------


class RateBook:
    """The rates of one fiscal year, looked up by item and grade (a grade's own rate first)."""

    def __init__(self, fiscal_year: int, rates: Iterable[SubsidyRate]):
        self.fiscal_year = fiscal_year
        self.rates = list(rates)
        self._by_key = {(r.item, r.level, r.grade): r for r in self.rates}

    @classmethod
    def load(cls, fiscal_year: int) -> "RateBook":
        return cls(fiscal_year, SubsidyRate.objects.filter(fiscal_year=fiscal_year))

    def rate(self, *, item: str, grade: str) -> SubsidyRate | None:
        level = level_of(grade)
        return self._by_key.get((item, level, grade)) or self._by_key.get((item, level, ""))
