"""Per-head subsidy: the rates (kept as data, with their history) and the allocation they give.

Rules (docs: /work/shared/data/README.md, the ministry's allocation letters):
- fiscal year (BE) N runs 1 Oct (N − 544) … 30 Sep (N − 543); FY N pays term 2 of academic year
  N − 1 and term 1 of academic year N;
- term 1 of academic year Y: an advance share (SUBSIDY_ADVANCE_SHARE) on the 10 November count of
  Y − 1 (round 2), then the balance on the 10 June count of Y (round 1), either a fixed share of
  the June amount or the June amount less the advance (SUBSIDY_BALANCE_MODE);
- term 2 of Y: on the 10 June count of Y (round 1);
- textbooks and uniforms are yearly, paid with term 1; tuition, supplies and activities are paid
  each term at half the yearly rate;
- only certified snapshots count, and learners under SUBSIDY_MIN_AGE on the as-of date are not funded.
"""

import csv
import dataclasses
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial
from operator import itemgetter
from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection, transaction
from django.db.models import (
    Count,
    Max,
    Q,
    QuerySet,
    Sum,
)
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User
from schools.checks import decimal_from_text, is_finite
from schools.models import Grade, School

from .models import (
    RosterSnapshot,
    Round,
    SnapshotGradeCount,
    SnapshotRow,
    SubsidyItem,
    SubsidyLevel,
    SubsidyRate,
    SubsidyRateChange,
)

DEFAULT_RATES_CSV = Path(__file__).resolve().parent / "data" / "subsidy_rates.csv"
YEARLY_ITEMS = (SubsidyItem.TEXTBOOKS, SubsidyItem.UNIFORMS)
PER_TERM_ITEMS = (SubsidyItem.TUITION, SubsidyItem.LEARNING_SUPPLIES, SubsidyItem.ACTIVITIES)
BALANCE_MODES = ("fixed_share", "true_up")


def balance_mode_label(mode: str) -> str:
    """Return how the balance is paid, in the reader's words."""
    labels = {
        "fixed_share": _("the rest as a fixed share of the June count"),
        "true_up": _("the June count's full amount, less the advance"),
    }
    return labels.get(mode, mode)


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


def funded_born_after(as_of: date) -> date:
    """Return the birth date after which a learner is under the minimum age on the as-of date."""
    years = settings.SUBSIDY_MIN_AGE
    try:
        return as_of.replace(year=as_of.year - years)
    except ValueError:  # 29 February
        return as_of.replace(year=as_of.year - years, day=28)


def advance_share() -> Decimal:
    return Decimal(str(settings.SUBSIDY_ADVANCE_SHARE))


def balance_mode() -> str:
    mode = settings.SUBSIDY_BALANCE_MODE
    if mode not in BALANCE_MODES:
        raise ValueError(f"SUBSIDY_BALANCE_MODE must be one of {BALANCE_MODES}, not {mode!r}")
    return mode


# --- rates: writes with history ------------------------------------------------------------------

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


# --- rates: reads ---------------------------------------------------------------------------------


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


# --- allocation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentRule:
    """One payment of a term: which count funds it and what share of that count's amount it pays."""

    key: str  # "advance", "balance" or "term"
    label: str
    academic_year: int
    round_number: int
    share: Decimal


def payment_rules(*, academic_year: int, term: int) -> list[PaymentRule]:
    """Return the payments of a term, each with the count round that funds it."""
    if term == 2:
        return [PaymentRule("term", _("Term 2 on the 10 June count"), academic_year, 1, Decimal(1))]
    share = advance_share()
    balance = Decimal(1) - share if balance_mode() == "fixed_share" else Decimal(1)
    return [
        PaymentRule(
            "advance", _("Advance on the previous 10 November count"), academic_year - 1, 2, share
        ),
        PaymentRule("balance", _("Balance on the 10 June count"), academic_year, 1, balance),
    ]


@dataclass
class Line:
    """count × rate = amount for one grade and item of one payment."""

    grade: str
    item: str
    count: int
    under_age: int
    rate: SubsidyRate | None
    per_learner: Decimal | None  # for this payment, before its share
    amount: Decimal  # count × per_learner × share, rounded to the satang

    @property
    def grade_label(self) -> str:
        return Grade(self.grade).label

    @property
    def item_label(self) -> str:
        return SubsidyItem(self.item).label


@dataclass
class Payment:
    rule: PaymentRule
    round: Round | None
    snapshot_id: int | None = None
    snapshot_public_id: str | None = None
    lines: list[Line] = field(default_factory=list)
    deduction: Decimal = Decimal(0)  # true-up: the advance already paid
    gross: Decimal = Decimal(0)

    @property
    def amount(self) -> Decimal:
        return self.gross - self.deduction

    @property
    def funded(self) -> bool:
        return self.snapshot_id is not None


@dataclass
class SchoolAllocation:
    """What one school is paid for one term, with every figure's origin."""

    school: School
    academic_year: int
    term: int
    fiscal_year: int
    mode: str
    payments: list[Payment]
    missing_rates: set[tuple[str, str]] = field(default_factory=set)  # (item, grade)
    provisional_rates: set[int] = field(default_factory=set)  # rate ids

    @property
    def mode_label(self) -> str:
        return balance_mode_label(self.mode)

    @property
    def total(self) -> Decimal:
        return sum((p.amount for p in self.payments), Decimal(0))

    @property
    def missing_counts(self) -> list[Payment]:
        return [p for p in self.payments if not p.funded]

    @property
    def status(self) -> str:
        """Return none (no certified count), incomplete, provisional or final."""
        if not any(p.funded for p in self.payments):
            return "none"
        if self.missing_counts or self.missing_rates:
            return "incomplete"
        return "provisional" if self.provisional_rates else "final"

    @property
    def step_key(self) -> str:
        """Identify the figures: school, term, balance mode and the snapshots that fund them."""
        ids = ",".join(p.snapshot_public_id or "-" for p in self.payments)
        return f"allocation:{self.school.code}:{self.academic_year}-{self.term}:{self.mode}:{ids}"


def _rounds(rules: list[PaymentRule]) -> dict[tuple[int, int], Round]:
    wanted = Q()
    for rule in rules:
        wanted |= Q(academic_year__year=rule.academic_year, number=rule.round_number)
    return {
        (r.academic_year.year, r.number): r
        for r in Round.objects.filter(wanted, is_demo=False).select_related("academic_year")
    }


def _grade_counts(
    *, round: Round, schools: QuerySet | None = None, school_id: int | None = None
) -> QuerySet[SnapshotGradeCount]:
    """Return the grade counts of the round's certified snapshots (one row per school and grade,
    written when each snapshot was frozen)."""
    counts = SnapshotGradeCount.objects.filter(
        snapshot__round=round, snapshot__status=RosterSnapshot.Status.CERTIFIED
    )
    if school_id is not None:
        return counts.filter(snapshot__school_id=school_id)
    if schools is not None and schools.query.has_filters():  # the whole nation needs no join
        return counts.filter(snapshot__school__in=schools)
    return counts


def _recount(*, round: Round, snapshots: set[int]) -> list[tuple[int, str, int, int]]:
    """Count again, from the learners' rows, the snapshots frozen under another minimum age."""
    return list(
        SnapshotRow.objects.filter(snapshot_id__in=snapshots)
        .values_list("snapshot__school_id", "grade")
        .annotate(
            learners=Count("id"),
            under_age=Count("id", filter=Q(birth_date__gt=funded_born_after(round.as_of))),
        )
    )


def _counts(*, round: Round, schools: QuerySet | None = None, school_id: int | None = None):
    """Return (school id, grade, learners, under age) of the round's certified snapshots."""
    min_age = settings.SUBSIDY_MIN_AGE
    counts = _grade_counts(round=round, schools=schools, school_id=school_id)
    # One certified snapshot per school and round: a school's grade is one row.
    lines, stale = [], set()
    for snapshot_id, school, grade, learners, under_age, counted_with in counts.values_list(
        "snapshot_id", "snapshot__school_id", "grade", "learners", "under_age", "min_age"
    ):
        if counted_with == min_age:
            lines.append((school, grade, learners, under_age))
        else:
            stale.add(snapshot_id)
    if stale:  # frozen under another minimum age: count those learners again
        lines.extend(_recount(round=round, snapshots=stale))
    return lines


def _line_amounts(cache: dict, grade: str, funded: int, *, per_grade: dict, items, share):
    """Return one school line's amount per item (0 where a rate is missing), computed once per
    (grade, learners funded) and rounded exactly as the school's own statement rounds it."""
    key = (grade, funded)
    if key not in cache:
        cache[key] = tuple(
            _money(funded * per_grade[(grade, item)] * share)
            if (grade, item) in per_grade
            else Decimal(0)
            for item in items
        )
    return cache[key]


def _snapshots(*, round: Round, schools: QuerySet | None = None, school_id: int | None = None):
    snaps = RosterSnapshot.objects.filter(round=round, status=RosterSnapshot.Status.CERTIFIED)
    if school_id is not None:
        snaps = snaps.filter(school_id=school_id)
    elif schools is not None and schools.query.has_filters():
        snaps = snaps.filter(school__in=schools)
    return {s: (pk, str(pid)) for s, pk, pid in snaps.values_list("school_id", "pk", "public_id")}


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _fill(
    payment: Payment,
    allocation: SchoolAllocation,
    grade_counts: list[tuple[str, int, int]],
    rates: RateBook,
) -> None:
    items = items_of_term(allocation.term)
    for grade, learners, under_age in sorted(grade_counts):
        funded = learners - under_age
        for item in items:
            rate = rates.rate(item=item, grade=grade)
            if rate is None:
                if funded:
                    allocation.missing_rates.add((item, grade))
                payment.lines.append(Line(grade, item, funded, under_age, None, None, Decimal(0)))
                continue
            if funded and rate.status != SubsidyRate.Status.CONFIRMED:
                # A line that funds nobody pays nothing, whatever its rate's status.
                allocation.provisional_rates.add(rate.pk)
            per = per_payment_rate(item=item, baht_per_year=rate.baht_per_year)
            amount = _money(funded * per * payment.rule.share)
            payment.lines.append(Line(grade, item, funded, under_age, rate, per, amount))
            payment.gross += amount


def _true_up(allocation: SchoolAllocation) -> None:
    if allocation.mode == "true_up" and allocation.term == 1:
        advance, balance = allocation.payments
        if balance.funded:
            balance.deduction = advance.amount


def school_allocation(*, school: School, academic_year: int, term: int) -> SchoolAllocation:
    """Return one school's allocation for a term with its lines (count × rate = amount)."""
    rules = payment_rules(academic_year=academic_year, term=term)
    fiscal_year = fiscal_year_of_term(academic_year=academic_year, term=term)
    rates = RateBook.load(fiscal_year)
    rounds = _rounds(rules)
    allocation = SchoolAllocation(school, academic_year, term, fiscal_year, balance_mode(), [])
    for rule in rules:
        round = rounds.get((rule.academic_year, rule.round_number))
        payment = Payment(rule, round)
        allocation.payments.append(payment)
        if round is None:
            continue
        snapshot = _snapshots(round=round, school_id=school.pk).get(school.pk)
        if snapshot is None:
            continue
        payment.snapshot_id, payment.snapshot_public_id = snapshot
        counts = [(g, n, u) for _s, g, n, u in _counts(round=round, school_id=school.pk)]
        _fill(payment, allocation, counts, rates)
    _true_up(allocation)
    return allocation


@dataclass
class AllocationSummary:
    """Allocations of many schools for one term: per school, per area office, per item, national."""

    academic_year: int
    term: int
    fiscal_year: int
    mode: str
    rules: list[PaymentRule]
    rounds: dict[str, Round | None]
    schools: list[dict]  # one per school: code, name, area, totals per payment, total, status
    areas: list[dict]
    items: dict[str, Decimal]
    grade_items: dict[tuple[str, str], dict]  # (grade, item) → count, rate, amount
    missing_rates: set[tuple[str, str]]
    provisional: bool
    deduction: Decimal  # true-up: advances taken back from the balance
    total: Decimal
    step_hash: str
    statuses: dict[str, int]  # schools per status: none, incomplete, provisional, final
    payment_totals: dict[str, Decimal]  # per payment key, after any true-up

    @property
    def mode_label(self) -> str:
        return balance_mode_label(self.mode)


# Figures are kept until they could have changed (see _summary_key), at most this long.
FIGURES_CACHE_SECONDS = 15 * 60


@dataclass(frozen=True)
class _Inputs:
    """What a term's allocation is computed from, besides the counts: read once for the cache
    key and the computation alike."""

    academic_year: int
    term: int
    rules: list[PaymentRule]
    fiscal_year: int
    rates: RateBook
    rounds: dict[tuple[int, int], Round]

    @classmethod
    def load(cls, *, academic_year: int, term: int) -> "_Inputs":
        rules = payment_rules(academic_year=academic_year, term=term)
        fiscal_year = fiscal_year_of_term(academic_year=academic_year, term=term)
        return cls(academic_year, term, rules, fiscal_year, RateBook.load(fiscal_year),
                   _rounds(rules))  # fmt: skip


def _summary_key(*, schools: QuerySet, inputs: _Inputs, per_school: bool = False) -> str | None:
    """Return a cache key naming everything a term's summary is computed from: the certified
    snapshots of its rounds (a certification or revocation changes their count or the sum of their
    ids), the fiscal year's rates, the schools and their areas, the settings and the language. Two
    small aggregates besides the rates and rounds; None when the schools cannot be named (nothing
    is cached then)."""
    try:
        scope_sql = repr(schools.query.sql_with_params())
    except EmptyResultSet:
        return None
    snapshots = RosterSnapshot.objects.filter(
        round__in=[r.pk for r in inputs.rounds.values()], status=RosterSnapshot.Status.CERTIFIED
    )
    if schools.query.has_filters():
        snapshots = snapshots.filter(school__in=schools)
    rates = inputs.rates.rates
    parts = [
        inputs.academic_year, inputs.term, per_school, balance_mode(),
        settings.SUBSIDY_ADVANCE_SHARE, settings.SUBSIDY_MIN_AGE, translation.get_language(),
        scope_sql, sorted((r.pk, r.as_of.isoformat()) for r in inputs.rounds.values()),
        snapshots.aggregate(n=Count("id"), ids=Sum("id")),
        # the fiscal year's rates: how many, and the last change
        {"n": len(rates), "changed": max((r.updated_at for r in rates), default=None)},
        # A school moved to another area changes the sum; a renamed school shows within the
        # cache's lifetime (the figures never lag).
        schools.aggregate(n=Count("id"), last=Max("id"), areas=Sum("area_office_id")),
    ]  # fmt: skip
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return f"allocation-summary:{digest}"


def allocation_figures(
    *, schools: QuerySet, academic_year: int, term: int, per_school: bool = False
) -> AllocationSummary:
    """Return a term's allocation summary, kept in the cache for as long as nothing it is computed
    from has changed: without its per-school rows (``schools`` is empty), the national, area, item
    and status figures — a page of the whole nation reads a few kilobytes, not the rows of 29,000
    schools; with them (``per_school``) for one area office's schools, a few hundred rows. Names
    kept with the rows show a rename when the kept figures expire; the money never lags."""
    inputs = _Inputs.load(academic_year=academic_year, term=term)
    key = _summary_key(schools=schools, inputs=inputs, per_school=per_school)
    figures = cache.get(key) if key else None
    if figures is None:
        summary = _summary(schools=schools, inputs=inputs)
        figures = summary if per_school else dataclasses.replace(summary, schools=[])
        if key:
            cache.set(key, figures, FIGURES_CACHE_SECONDS)
    return figures


def allocation_summary(*, schools: QuerySet, academic_year: int, term: int) -> AllocationSummary:
    """Return the term's allocation of every school in a queryset, in four queries whatever the
    term: the rates, the rounds, the money per school and the lines per grade and item (the last
    two summed in the database, exactly, in satang)."""
    return _summary(schools=schools, inputs=_Inputs.load(academic_year=academic_year, term=term))


# The term's rates as a table the database joins to the grade counts: one row per round and grade,
# whether a rate of the grade is missing or provisional, and per item the baht per learner of the
# payment the round funds (its share taken) as an exact fraction of satang, p / q. A line's amount
# for an item is then rounded half up in exact integers, the same figure as _money on SQLite and
# PostgreSQL alike: round half up of f·p/q = ⌊(2·f·p + q) / 2q⌋, written (f·p2 + q) / q2.
_RATES = "rates (round_id, grade, missing, provisional, {items}) AS (VALUES {rows})"


def _item_satang(i: int, funded: str) -> str:
    return f"(({funded}) * r.p{i} + r.q{i}) / r.d{i}"


# Per school in scope (every one, funded or not) and certified snapshot of the term's rounds: its
# gross in satang (lines frozen under the current minimum age), whether a funded line misses a
# rate or has a provisional one, and whether it was frozen under another minimum age.
_SCHOOL_SQL = """
WITH {rates},
sums AS (
  SELECT s.school_id, s.round_id, CAST(s.public_id AS TEXT) AS public_id, s.id AS snapshot_id,
    SUM(CASE WHEN c.min_age = %s THEN {gross} ELSE 0 END) AS satang,
    MAX(CASE WHEN c.learners > c.under_age AND r.missing = 1 THEN 1 ELSE 0 END) AS missing,
    MAX(CASE WHEN c.learners > c.under_age AND r.provisional = 1 THEN 1 ELSE 0 END) AS provisional,
    MAX(CASE WHEN c.min_age <> %s THEN 1 ELSE 0 END) AS stale, COUNT(c.id) AS lines
  FROM census_rostersnapshot s
  LEFT JOIN census_snapshotgradecount c ON c.snapshot_id = s.id
  LEFT JOIN rates r ON r.round_id = s.round_id AND r.grade = c.grade
  WHERE s.status = %s AND s.round_id IN ({rounds}) {snapshot_scope}
  GROUP BY s.id, s.school_id, s.round_id, s.public_id)
SELECT sc.id, sc.code, sc.name_th, sc.area_office_id, a.code, a.name_th,
  sums.round_id, sums.public_id, sums.satang, sums.missing, sums.provisional, sums.stale,
  sums.snapshot_id, sums.lines
FROM schools_school sc
JOIN schools_areaoffice a ON a.id = sc.area_office_id
LEFT JOIN sums ON sums.school_id = sc.id
{school_scope}
"""
# Per round and grade: the learners funded and, per item, the sum of the school lines' amounts
# (each rounded as its school's statement rounds it), of the lines frozen under the current
# minimum age that fund someone; the lines grouped first by learners funded (many schools share
# a line's figures).
_LINES_SQL = """
WITH {rates},
lines AS (
  SELECT s.round_id, c.grade, CAST(c.learners - c.under_age AS BIGINT) AS funded, COUNT(*) AS n
  FROM census_snapshotgradecount c
  JOIN census_rostersnapshot s ON s.id = c.snapshot_id
  WHERE s.status = %s AND s.round_id IN ({rounds}) AND c.min_age = %s
    AND c.learners > c.under_age {snapshot_scope}
  GROUP BY s.round_id, c.grade, c.learners - c.under_age)
SELECT l.round_id, l.grade, SUM(l.funded * l.n), {items}
FROM lines l JOIN rates r ON r.round_id = l.round_id AND r.grade = l.grade
GROUP BY l.round_id, l.grade
"""


def _rates_sql(inputs: _Inputs, per_grade: dict, provisional_keys: set) -> tuple[str, list]:
    """Return the rates table of the term (_RATES) and its parameters."""
    items = items_of_term(inputs.term)
    rows, params = [], []
    for rule in inputs.rules:
        round = inputs.rounds.get((rule.academic_year, rule.round_number))
        if round is None:
            continue
        for grade in Grade.values:
            row = [round.pk, grade, int(any((grade, i) not in per_grade for i in items)),
                   int(any((grade, i) in provisional_keys for i in items))]  # fmt: skip
            for item in items:
                per = per_grade.get((grade, item))
                if per is None:  # pays nothing
                    row += [0, 0, 1]
                    continue
                p, q = (per * rule.share * 100).as_integer_ratio()
                row += [2 * p, q, 2 * q]
            rows.append(row)
            params += row
    if not rows:  # no count round yet: a table of one row that joins nothing
        rows = [[0, "", 0, 0, *([0, 0, 1] * len(items))]]
        params = rows[0]
    columns = ", ".join(f"p{i}, q{i}, d{i}" for i in range(len(items)))
    values = ", ".join(["(" + ", ".join(["%s"] * len(rows[0])) + ")"] * len(rows))
    return _RATES.format(items=columns, rows=values), params


def _summary_rows(*, schools: QuerySet, inputs: _Inputs, per_grade: dict, provisional_keys: set):
    """Return the rows of _SCHOOL_SQL and _LINES_SQL for the schools in scope: two statements
    whatever the term, the money summed in the database."""
    items = items_of_term(inputs.term)
    rates, rate_params = _rates_sql(inputs, per_grade, provisional_keys)
    round_ids = sorted(r.pk for r in inputs.rounds.values()) or [0]  # 0: no round yet
    rounds = ", ".join(["%s"] * len(round_ids))
    snapshot_scope, school_scope, scope_params = "", "", []
    if schools.query.has_filters():  # the whole nation needs no subquery
        sub, params = schools.order_by().values("pk").query.sql_with_params()
        snapshot_scope, school_scope = f"AND s.school_id IN ({sub})", f"WHERE sc.id IN ({sub})"
        scope_params = list(params)
    min_age, certified = settings.SUBSIDY_MIN_AGE, RosterSnapshot.Status.CERTIFIED
    funded = "CAST(c.learners - c.under_age AS BIGINT)"
    # Put together from the constants above and placeholders only: every value is a parameter.
    school_sql = _SCHOOL_SQL.format(
        rates=rates, gross=" + ".join(_item_satang(i, funded) for i in range(len(items))),
        rounds=rounds, snapshot_scope=snapshot_scope, school_scope=school_scope,
    )  # fmt: skip
    lines_sql = _LINES_SQL.format(
        rates=rates, rounds=rounds, snapshot_scope=snapshot_scope,
        items=", ".join(f"SUM({_item_satang(i, 'l.funded')} * l.n)" for i in range(len(items))),
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(school_sql, [*rate_params, min_age, min_age, certified, *round_ids,
                                    *scope_params, *scope_params])  # fmt: skip
        # In code order: sorted here, as the codes are ten digits (the database would sort them
        # by its collation, slower).
        school_rows = sorted(cursor.fetchall(), key=itemgetter(1))
        cursor.execute(lines_sql, [*rate_params, certified, *round_ids, min_age, *scope_params])
        line_rows = cursor.fetchall()
    return school_rows, line_rows


def _summary(*, schools: QuerySet, inputs: _Inputs) -> AllocationSummary:
    academic_year, term, rules = inputs.academic_year, inputs.term, inputs.rules
    rates, rounds = inputs.rates, inputs.rounds
    mode = balance_mode()
    items = items_of_term(term)
    # baht per learner of one grade for one payment, per item (absent: the rate is missing)
    per_grade: dict[tuple[str, str], Decimal] = {}
    provisional_keys: set[tuple[str, str]] = set()
    for grade in Grade.values:
        for item in items:
            rate = rates.rate(item=item, grade=grade)
            if rate is None:
                continue
            if rate.status != SubsidyRate.Status.CONFIRMED:
                provisional_keys.add((grade, item))
            per_grade[(grade, item)] = per_payment_rate(item=item, baht_per_year=rate.baht_per_year)
    missing_grades = {g for g in Grade.values if any((g, i) not in per_grade for i in items)}
    provisional_grades = {g for g, _i in provisional_keys}
    rule_of_round = {
        rounds[(r.academic_year, r.round_number)].pk: r
        for r in rules
        if (r.academic_year, r.round_number) in rounds
    }
    school_rows, line_rows = _summary_rows(
        schools=schools, inputs=inputs, per_grade=per_grade, provisional_keys=provisional_keys
    )
    rows: dict[int, dict] = {}
    snapshot_ids: list[str] = []
    stale: dict[int, tuple[int, PaymentRule]] = {}  # snapshot id → (school id, its payment)
    for (pk, code, name, area_id, area_code, area_name, round_id, snapshot, satang, missing,
         provisional, is_stale, snapshot_id, lines) in school_rows:  # fmt: skip
        row = rows.get(pk)
        if row is None:
            row = rows[pk] = {
                "id": pk, "code": code, "name": name, "area_id": area_id, "area_code": area_code,
                "area_name": area_name, "payments": {}, "snapshots": {}, "total": Decimal(0),
                "missing_rates": False, "provisional": False,
            }  # fmt: skip
        if round_id is None:  # no certified snapshot in the term's rounds
            continue
        rule = rule_of_round[round_id]
        if len(snapshot) != 36:  # SQLite keeps the 32 hex digits
            snapshot = str(UUID(snapshot))
        row["snapshots"][rule.key] = snapshot
        snapshot_ids.append(snapshot)
        if is_stale:
            stale[snapshot_id] = (pk, rule)
            continue
        if lines:  # a snapshot of nobody pays nothing, and shows no amount
            row["payments"][rule.key] = Decimal(satang).scaleb(-2)
        row["missing_rates"] |= bool(missing)
        row["provisional"] |= bool(provisional)

    grade_items: dict[tuple[str, str, str], dict] = {}
    used_missing: set[tuple[str, str]] = set()

    def cell(rule: PaymentRule, grade: str, item: str) -> dict:
        key = (rule.key, grade, item)
        if key not in grade_items:
            per = per_grade.get((grade, item))
            grade_items[key] = {"count": 0, "per": per, "amount": Decimal(0)}
            if per is None:
                used_missing.add((item, grade))
        return grade_items[key]

    for round_id, grade, funded, *satang in line_rows:
        rule = rule_of_round[round_id]
        for item, amount in zip(items, satang, strict=True):
            line = cell(rule, grade, item)
            line["count"] += int(funded)
            if line["per"] is not None:
                line["amount"] += Decimal(amount).scaleb(-2)
    for rule in rules:  # frozen under another minimum age: count those learners again, here
        of_rule = {sid for sid, (_school, r) in stale.items() if r is rule}
        if not of_rule:
            continue
        round = rounds[(rule.academic_year, rule.round_number)]
        line = partial(_line_amounts, {}, per_grade=per_grade, items=items, share=rule.share)
        for school_id, grade, learners, under_age in _recount(round=round, snapshots=of_rule):
            funded = learners - under_age
            row = rows.get(school_id)
            if row is None or not funded:
                continue
            amounts = line(grade, funded)
            paid = row["payments"]
            paid[rule.key] = paid.get(rule.key, Decimal(0)) + sum(amounts, Decimal(0))
            row["missing_rates"] |= grade in missing_grades
            row["provisional"] |= grade in provisional_grades
            for item, amount in zip(items, amounts, strict=True):
                each = cell(rule, grade, item)
                each["count"] += funded
                each["amount"] += amount

    areas: dict[int, dict] = {}
    total = Decimal(0)
    true_up = mode == "true_up" and term == 1
    statuses: dict[str, int] = defaultdict(int)
    payment_totals: dict[str, Decimal] = {r.key: Decimal(0) for r in rules}
    for row in rows.values():
        area = areas.get(row["area_id"])
        if area is None:
            area = areas[row["area_id"]] = {
                "id": row["area_id"], "code": row["area_code"], "name": row["area_name"],
                "schools": 0, "funded": 0, "unfunded": 0, "total": Decimal(0),
            }  # fmt: skip
        area["schools"] += 1
        snapshots = row["snapshots"]
        if not snapshots:  # half the schools on a count's morning: nothing to add up
            row["status"] = "none"
            statuses["none"] += 1
            area["unfunded"] += 1
            continue
        paid = row["payments"]
        if true_up and "balance" in snapshots:
            paid["balance"] = paid.get("balance", Decimal(0)) - paid.get("advance", Decimal(0))
        row["total"] = sum(paid.values(), Decimal(0))
        row["status"] = (
            "incomplete"
            if len(snapshots) < len(rules) or row["missing_rates"]
            else "provisional"
            if row["provisional"]
            else "final"
        )
        statuses[row["status"]] += 1
        for key, amount in paid.items():
            payment_totals[key] += amount
        area["funded"] += 1
        area["total"] += row["total"]
        total += row["total"]
    item_totals: dict[str, Decimal] = {item: Decimal(0) for item in items}
    for (_key, _grade, item), each in grade_items.items():
        item_totals[item] += each["amount"]
    deduction = Decimal(0)
    if true_up:
        deduction = sum(
            (r["payments"].get("advance", Decimal(0)) for r in rows.values()
             if "balance" in r["snapshots"]),
            Decimal(0),
        )  # fmt: skip
    return AllocationSummary(
        academic_year=academic_year,
        term=term,
        fiscal_year=inputs.fiscal_year,
        mode=mode,
        rules=rules,
        rounds={r.key: rounds.get((r.academic_year, r.round_number)) for r in rules},
        schools=list(rows.values()),
        areas=sorted(areas.values(), key=lambda a: a["code"]),
        items=item_totals,
        grade_items=grade_items,
        missing_rates=used_missing,
        provisional=any(r["provisional"] for r in rows.values()),
        deduction=deduction,
        total=total,
        step_hash=hashlib.sha256(",".join(sorted(snapshot_ids)).encode()).hexdigest()[:24],
        statuses=dict(statuses),
        payment_totals=dict(payment_totals),
    )


# --- signed allocation statements -----------------------------------------------------------------

PAYMENT_SHORT = {"advance": "งวดแรก", "balance": "ส่วนที่เหลือ", "term": "ภาคเรียนที่ 2"}
STATUS_NOTES = {
    "final": "อัตราทุกรายการยืนยันแล้ว",
    "provisional": "คำนวณจากอัตราที่ยังไม่ยืนยันบางรายการ",
    "incomplete": "ยังไม่ครบ: ขาดข้อมูลนับหรืออัตราบางรายการ",
}


def _no_count_error() -> ValidationError:
    return ValidationError(
        _("No certified count funds this term."),
        code="none",
    )


def _baht(value: Decimal) -> str:
    return f"{value:,.2f}"


def statement_context(allocation: SchoolAllocation) -> dict:
    """Return the record context of a school's allocation statement: every line, count × rate, in
    Thai (the language of a signed record) whatever the language of the page that signs it."""
    with translation.override("th"):
        return _statement_context(allocation)


def _statement_context(allocation: SchoolAllocation) -> dict:
    facts = [
        ("ปีการศึกษา", allocation.academic_year),
        ("ภาคเรียน", allocation.term),
        ("ปีงบประมาณ", allocation.fiscal_year),
        ("การจ่ายส่วนที่เหลือ", balance_mode_label(allocation.mode)),
    ]
    rows = []
    for payment in allocation.payments:
        round_label = str(payment.round) if payment.round else "-"
        facts.append(
            (
                str(payment.rule.label),
                f"รอบ {round_label} · ชุดข้อมูลที่รับรอง {payment.snapshot_public_id}"
                if payment.funded
                else f"รอบ {round_label} · ไม่มีข้อมูลที่รับรอง",
            )
        )
        for line in payment.lines:
            if not line.count and line.rate is not None:
                continue
            rows.append(
                [
                    f"{PAYMENT_SHORT[payment.rule.key]} ({payment.rule.share}) · {line.grade_label} · {line.item_label}",
                    line.count,
                    _baht(line.per_learner) if line.per_learner is not None else "ไม่มีอัตรา",
                    _baht(line.amount),
                ]
            )
        if payment.deduction:
            rows.append(
                [
                    f"{PAYMENT_SHORT[payment.rule.key]} · หักเงินงวดแรก",
                    "",
                    "",
                    _baht(-payment.deduction),
                ]
            )
    missing = ", ".join(
        f"{SubsidyItem(i).label} {Grade(g).label}" for i, g in sorted(allocation.missing_rates)
    )
    note = STATUS_NOTES.get(allocation.status, "")
    if missing:
        note += f" ไม่มีอัตรา: {missing}"
    return {
        "intro": "รายการจัดสรรเงินอุดหนุนรายหัวตามจำนวนนักเรียนที่รับรองแล้ว",
        "facts": facts,
        "counts": {
            "headers": [
                "รายการ",
                "นักเรียน",
                "บาทต่อคน",
                "จำนวนเงิน",
            ],
            "rows": rows,
            "total": ["รวม", "", "", _baht(allocation.total)],
        },
        "note": note,
    }


def allocation_statement_issue(*, allocation: SchoolAllocation, actor: User, actor_role: str):
    """Sign a school's allocation statement for a term once; the same figures give the same record."""
    from documents.models import Kind
    from documents.services import document_issue

    if allocation.status == "none":
        raise _no_count_error()
    return document_issue(
        step_key=allocation.step_key,
        kind=Kind.ALLOCATION_STATEMENT,
        template="documents/summary_record.html",
        context=statement_context(allocation),
        school=allocation.school,
        actor=actor,
        actor_role=actor_role,
        title=f"รายการจัดสรรเงินอุดหนุนรายหัว ปีการศึกษา {allocation.academic_year} "
        f"ภาคเรียนที่ {allocation.term}",
    )


def area_statement_issue(*, area, academic_year: int, term: int, actor: User, actor_role: str):
    """Sign an area office's allocation statement for a term: one line per school."""
    from documents.models import Kind
    from documents.services import document_issue

    summary = allocation_summary(
        schools=School.objects.filter(area_office=area), academic_year=academic_year, term=term
    )
    if not any(s["snapshots"] for s in summary.schools):
        raise _no_count_error()
    with translation.override("th"):  # a signed record is in Thai
        labels = [str(r.label) for r in summary.rules]
    rows = [
        [
            f"{s['code']} {s['name']} ({s['status']})",
            *(_baht(s["payments"].get(r.key, Decimal(0))) for r in summary.rules),
            _baht(s["total"]),
        ]
        for s in summary.schools
    ]
    return document_issue(
        step_key=f"allocation-area:{area.code}:{academic_year}-{term}:{summary.mode}:{summary.step_hash}",
        kind=Kind.ALLOCATION_STATEMENT,
        template="documents/summary_record.html",
        context={
            "intro": "รายการจัดสรรเงินอุดหนุนรายหัวของโรงเรียนในสังกัด",
            "facts": [
                ("ปีการศึกษา", academic_year),
                ("ภาคเรียน", term),
                ("ปีงบประมาณ", summary.fiscal_year),
                ("การจ่ายส่วนที่เหลือ", balance_mode_label(summary.mode)),
            ],
            "counts": {
                "headers": [
                    "โรงเรียน",
                    *labels,
                    "รวม",
                ],
                "rows": rows,
                "total": [
                    "รวม",
                    *(
                        _baht(
                            sum(
                                (s["payments"].get(r.key, Decimal(0)) for s in summary.schools),
                                Decimal(0),
                            )
                        )
                        for r in summary.rules
                    ),
                    _baht(summary.total),
                ],
            },
            "note": STATUS_NOTES["provisional"] if summary.provisional else "",
        },
        school=None,
        area_office=area,
        actor=actor,
        actor_role=actor_role,
        title=f"รายการจัดสรรเงินอุดหนุนรายหัว ปีการศึกษา {academic_year} ภาคเรียนที่ {term}",
    )
