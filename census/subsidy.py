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
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
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
        self._by_key = {(r.item, r.level, r.grade): r for r in rates}

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


def _satang(funded, per_learner: Decimal, share: Decimal):
    """Return, as an SQL expression, funded × per learner × share in satang rounded half up,
    in exact integers (the same figure as _money, on SQLite and PostgreSQL alike)."""
    p, q = (per_learner * share * 100).as_integer_ratio()
    # round half up of f·p/q = ⌊(2·f·p + q) / 2q⌋; integer division is exact here.
    return (funded * Value(2 * p) + Value(q)) / Value(2 * q)


def _school_sums(*, round, schools, per_grade, share, items, missing_grades, provisional_grades):
    """Return per certified school of the round: (school id, snapshot id, gross in satang, a line
    misses a rate, a line has a provisional rate, frozen under another minimum age) — the money
    summed in the database, line by line, from the grade counts."""
    funded = Cast(F("learners") - F("under_age"), BigIntegerField())
    current = Q(min_age=settings.SUBSIDY_MIN_AGE)
    gross = [
        When(current & Q(grade=grade), then=sum(
            (_satang(funded, per_grade[(grade, item)], share)
             for item in items if (grade, item) in per_grade),
            Value(0),
        ))
        for grade in Grade.values
        if any((grade, item) in per_grade for item in items)
    ]  # fmt: skip

    def flag(condition: Q):
        return Max(Case(When(condition, then=Value(1)), default=Value(0)))

    paid = Q(learners__gt=F("under_age"))
    return (
        _grade_counts(round=round, schools=schools)
        .values_list("snapshot__school_id", "snapshot_id")
        .annotate(
            satang=Coalesce(Sum(Case(*gross, default=Value(0), output_field=BigIntegerField())), 0),
            missing=flag(paid & Q(grade__in=missing_grades)),
            provisional=flag(paid & Q(grade__in=provisional_grades)),
            stale=flag(~current),
        )
        .order_by()
    )


def _line_counts(*, round: Round, schools: QuerySet) -> QuerySet:
    """Return (grade, learners funded, school lines) of the round's certified grade counts frozen
    under the current minimum age, leaving out lines that fund nobody."""
    funded = ExpressionWrapper(F("learners") - F("under_age"), output_field=BigIntegerField())
    return (
        _grade_counts(round=round, schools=schools)
        .filter(min_age=settings.SUBSIDY_MIN_AGE, learners__gt=F("under_age"))
        .annotate(funded=funded)
        .values_list("grade", "funded")
        .annotate(times=Count("id"))
        .order_by()
    )


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


def _summary_key(*, schools: QuerySet, academic_year: int, term: int) -> str | None:
    """Return a cache key naming everything a term's summary is computed from: the certified
    snapshots of its rounds (a certification or revocation changes their count or the sum of their
    ids), the fiscal year's rates, the schools and their areas, the settings and the language. Four
    small aggregates; None when the schools cannot be named (nothing is cached then)."""
    try:
        scope_sql = repr(schools.query.sql_with_params())
    except EmptyResultSet:
        return None
    rules = payment_rules(academic_year=academic_year, term=term)
    rounds = _rounds(rules)
    snapshots = RosterSnapshot.objects.filter(
        round__in=[r.pk for r in rounds.values()], status=RosterSnapshot.Status.CERTIFIED
    )
    if schools.query.has_filters():
        snapshots = snapshots.filter(school__in=schools)
    fiscal_year = fiscal_year_of_term(academic_year=academic_year, term=term)
    parts = [
        academic_year, term, balance_mode(), settings.SUBSIDY_ADVANCE_SHARE,
        settings.SUBSIDY_MIN_AGE, translation.get_language(), scope_sql,
        sorted((r.pk, r.as_of.isoformat()) for r in rounds.values()),
        snapshots.aggregate(n=Count("id"), ids=Sum("id")),
        SubsidyRate.objects.filter(fiscal_year=fiscal_year).aggregate(
            n=Count("id"), changed=Max("updated_at")
        ),
        # A school moved to another area changes the sum; a renamed school shows within the
        # cache's lifetime (the figures never lag).
        schools.aggregate(n=Count("id"), last=Max("id"), areas=Sum("area_office_id")),
    ]  # fmt: skip
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return f"allocation-summary:{digest}"


def allocation_figures(*, schools: QuerySet, academic_year: int, term: int) -> AllocationSummary:
    """Return a term's allocation summary without its per-school rows (``schools`` is empty):
    the national, area, item and status figures. Kept in the cache for as long as nothing they
    are computed from has changed: a page of the whole nation reads a few kilobytes, not the rows
    of 29,000 schools."""
    key = _summary_key(schools=schools, academic_year=academic_year, term=term)
    figures = cache.get(key) if key else None
    if figures is None:
        summary = allocation_summary(schools=schools, academic_year=academic_year, term=term)
        figures = dataclasses.replace(summary, schools=[])
        if key:
            cache.set(key, figures, FIGURES_CACHE_SECONDS)
    return figures


def allocation_summary(*, schools: QuerySet, academic_year: int, term: int) -> AllocationSummary:
    """Return the term's allocation of every school in a queryset, in a fixed number of queries:
    per payment one aggregate of the money per school and one of the lines per grade."""
    rules = payment_rules(academic_year=academic_year, term=term)
    fiscal_year = fiscal_year_of_term(academic_year=academic_year, term=term)
    rates = RateBook.load(fiscal_year)
    rounds = _rounds(rules)
    mode = balance_mode()
    items = items_of_term(term)
    # baht per learner of one grade for one payment, all items together (None: some rate missing)
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

    school_rows = {
        pk: {"id": pk, "code": code, "name": name, "area_id": area_id, "area_code": area_code,
             "area_name": area_name, "payments": {}, "snapshots": {}, "total": Decimal(0),
             "missing_rates": False, "provisional": False}
        for pk, code, name, area_id, area_code, area_name in schools.order_by("code").values_list(
            "pk", "code", "name_th", "area_office_id", "area_office__code", "area_office__name_th"
        )
    }  # fmt: skip
    grade_items: dict[tuple[str, str, str], dict] = {}
    missing_grades = {g for g in Grade.values if any((g, i) not in per_grade for i in items)}
    provisional_grades = {g for g, _i in provisional_keys}
    snapshot_ids: list[str] = []
    used_missing: set[tuple[str, str]] = set()
    for rule in rules:
        round = rounds.get((rule.academic_year, rule.round_number))
        if round is None:
            continue
        for school_id, (_pk, public_id) in _snapshots(round=round, schools=schools).items():
            if school_id in school_rows:
                school_rows[school_id]["snapshots"][rule.key] = public_id
                snapshot_ids.append(public_id)
        gross: dict[int, Decimal] = defaultdict(Decimal)
        funded_by_grade: dict[str, int] = defaultdict(int)
        # (grade, learners funded) → how many school lines have it: many schools share a pair,
        # so each line's amount is computed once, rounded exactly as a school's statement rounds it.
        line_sums: dict[tuple[str, int], int] = defaultdict(int)
        lines: dict[tuple[str, int], tuple[Decimal, ...]] = {}
        line = partial(_line_amounts, lines, per_grade=per_grade, items=items, share=rule.share)

        # Each school's gross, summed in the database (exact, in satang), and per grade the
        # school lines by learners funded: a few thousand rows, not one per school and grade.
        stale = set()
        for school_id, _snap, satang, missing, provisional, is_stale in _school_sums(
            round=round, schools=schools, per_grade=per_grade, share=rule.share, items=items,
            missing_grades=missing_grades, provisional_grades=provisional_grades,
        ):  # fmt: skip
            row = school_rows.get(school_id)
            if row is None:
                continue
            if is_stale:
                stale.add(_snap)
                continue
            gross[school_id] = Decimal(satang).scaleb(-2)
            row["missing_rates"] |= bool(missing)
            row["provisional"] |= bool(provisional)
        for grade, funded, times in _line_counts(round=round, schools=schools):
            funded_by_grade[grade] += funded * times
            line_sums[(grade, funded)] += times
            line(grade, funded)
        if stale:  # frozen under another minimum age: count those learners again, here
            for school_id, grade, learners, under_age in _recount(round=round, snapshots=stale):
                funded = learners - under_age
                row = school_rows.get(school_id)
                if row is None or not funded:
                    continue
                funded_by_grade[grade] += funded
                line_sums[(grade, funded)] += 1
                gross[school_id] += sum(line(grade, funded), Decimal(0))
                row["missing_rates"] |= grade in missing_grades
                row["provisional"] |= grade in provisional_grades
        for grade, funded in funded_by_grade.items():
            for item in items:
                per = per_grade.get((grade, item))
                grade_items[(rule.key, grade, item)] = {
                    "count": funded,
                    "per": per,
                    "amount": Decimal(0),
                }
                if per is None:
                    used_missing.add((item, grade))
        for (grade, _funded), times in line_sums.items():
            for item, amount in zip(items, lines[(grade, _funded)], strict=True):
                grade_items[(rule.key, grade, item)]["amount"] += amount * times
        for school_id, amount in gross.items():
            school_rows[school_id]["payments"][rule.key] = amount
    areas: dict[int, dict] = {}
    total = Decimal(0)
    true_up = mode == "true_up" and term == 1
    statuses: dict[str, int] = defaultdict(int)
    payment_totals: dict[str, Decimal] = {r.key: Decimal(0) for r in rules}
    for row in school_rows.values():
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
    for (_key, _grade, item), cell in grade_items.items():
        item_totals[item] += cell["amount"]
    deduction = Decimal(0)
    if true_up:
        deduction = sum(
            (r["payments"].get("advance", Decimal(0)) for r in school_rows.values()
             if "balance" in r["snapshots"]),
            Decimal(0),
        )  # fmt: skip
    return AllocationSummary(
        academic_year=academic_year,
        term=term,
        fiscal_year=fiscal_year,
        mode=mode,
        rules=rules,
        rounds={r.key: rounds.get((r.academic_year, r.round_number)) for r in rules},
        schools=list(school_rows.values()),
        areas=sorted(areas.values(), key=lambda a: a["code"]),
        items=item_totals,
        grade_items=grade_items,
        missing_rates=used_missing,
        provisional=any(r["provisional"] for r in school_rows.values()),
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
