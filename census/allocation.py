"""Per-head subsidy: the allocation the rates give a term, per school (every line, count × rate =
amount) and for many schools at once (summed in the database, exactly, in satang).

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

The status and true-up rules are SchoolAllocation's, for one school and a summary's rows alike. The
rates are census.rates; the signed statements, census.statements.
"""

import dataclasses
import hashlib
from collections import defaultdict
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from operator import itemgetter
from uuid import UUID

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from schools.models import Grade, School

from .models import (
    RosterSnapshot,
    Round,
    SnapshotGradeCount,
    SnapshotRow,
    SubsidyItem,
    SubsidyRate,
)
from .rates import CENT, RateBook, fiscal_year_of_term, items_of_term, per_payment_rate

BALANCE_MODES = ("fixed_share", "true_up")


def balance_mode_label(mode: str) -> str:
    """Return how the balance is paid, in the reader's words."""
    labels = {
        "fixed_share": _("the rest as a fixed share of the June count"),
        "true_up": _("the June count's full amount, less the advance"),
    }
    return labels.get(mode, mode)


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


# --- one school ----------------------------------------------------------------------------------


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
        return self.status_of(
            funded=sum(p.funded for p in self.payments),
            payments=len(self.payments),
            missing_rates=bool(self.missing_rates),
            provisional=bool(self.provisional_rates),
        )

    @staticmethod
    def status_of(*, funded: int, payments: int, missing_rates: bool, provisional: bool) -> str:
        """The status rule, for one school's allocation and a summary's rows alike: none (no
        certified count funds any of the term's payments), incomplete (a payment's count or a
        funded line's rate is missing), provisional (a funded line's rate is not confirmed) or
        final."""
        if not funded:
            return "none"
        if funded < payments or missing_rates:
            return "incomplete"
        return "provisional" if provisional else "final"

    @staticmethod
    def taken_back(
        *, mode: str, term: int, paid: Mapping[str, Decimal], funded: Container[str]
    ) -> Decimal | None:
        """The true-up rule, for one school's allocation and a summary's rows alike: in term 1
        under true_up, once a certified count funds the balance, the balance pays the June count's
        full amount less the advance (``paid``, per payment key): return the advance taken back;
        None when nothing is."""
        if mode == "true_up" and term == 1 and "balance" in funded:
            return paid.get("advance", Decimal(0))
        return None

    def true_up(self) -> None:
        """Take the advance back from the balance where the true-up rule says so."""
        payments = {p.rule.key: p for p in self.payments}
        taken = self.taken_back(
            mode=self.mode,
            term=self.term,
            paid={key: p.amount for key, p in payments.items()},
            funded={key for key, p in payments.items() if p.funded},
        )
        if taken is not None:
            payments["balance"].deduction = taken

    @property
    def step_key(self) -> str:
        """Identify the figures: school, term, balance mode and the snapshots that fund them."""
        ids = ",".join(p.snapshot_public_id or "-" for p in self.payments)
        return f"allocation:{self.school.code}:{self.academic_year}-{self.term}:{self.mode}:{ids}"


def _rounds(
    rules: list[PaymentRule], known: Iterable[Round] | None = None
) -> dict[tuple[int, int], Round]:
    """Return the ordinary count rounds the rules pay from, by (academic year, number): picked
    from ``known`` (every round, with its academic year, as a report page has read them) or
    read."""
    if known is not None:
        wanted = {(rule.academic_year, rule.round_number) for rule in rules}
        return {
            (r.academic_year.year, r.number): r
            for r in known
            if not r.is_demo and (r.academic_year.year, r.number) in wanted
        }
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


def _counts(*, round: Round, school_id: int):
    """Return (school id, grade, learners, under age) of one school's certified snapshot in the
    round (the summaries count many schools in SQL: _summary_rows)."""
    min_age = settings.SUBSIDY_MIN_AGE
    counts = _grade_counts(round=round, school_id=school_id)
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
    allocation.true_up()
    return allocation


# --- many schools: the summary, kept in the cache ------------------------------------------------


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
    # The cache key the figures are kept under (allocation_figures), None when computed afresh:
    # what is drawn from them alone (the report page's tables) can be kept under it too.
    cache_key: str | None = None

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
    def load(
        cls, *, academic_year: int, term: int, rounds: Iterable[Round] | None = None
    ) -> "_Inputs":
        rules = payment_rules(academic_year=academic_year, term=term)
        fiscal_year = fiscal_year_of_term(academic_year=academic_year, term=term)
        return cls(academic_year, term, rules, fiscal_year, RateBook.load(fiscal_year),
                   _rounds(rules, rounds))  # fmt: skip


# The counts a kept summary is checked against: the certified snapshots of its rounds (how many,
# the sum of their ids) and the schools in scope (how many, the last id, the sum of their area
# offices' ids), in one statement.
_FINGERPRINT_SQL = """
SELECT s.n, s.ids, sc.n, sc.last, sc.areas
FROM (SELECT COUNT(id) AS n, SUM(id) AS ids FROM census_rostersnapshot
      WHERE status = %s AND round_id IN ({rounds}) {snapshot_scope}) s,
     (SELECT COUNT(school) AS n, MAX(school) AS last, SUM(area) AS areas
      FROM ({schools}) q) sc
"""


def _fingerprint(*, schools: QuerySet, inputs: _Inputs) -> tuple:
    """Return the figures of _FINGERPRINT_SQL for the schools in scope: one query, not two ORM
    aggregates (a page of kept figures spent more on building them than the database counting)."""
    round_ids = sorted(r.pk for r in inputs.rounds.values()) or [0]  # 0: no round yet
    scope = schools.order_by().values(school=F("pk"), area=F("area_office_id"))
    sub, params = scope.query.sql_with_params()
    snapshot_scope, scope_params = "", []
    if schools.query.has_filters():  # the whole nation needs no subquery
        # The ORM's own SQL of the scope, its values as parameters.
        snapshot_scope = f"AND school_id IN (SELECT school FROM ({sub}) q)"  # noqa: S608
        scope_params = list(params)
    # Put together from the constant above, the ORM's SQL and placeholders: values are parameters.
    sql = _FINGERPRINT_SQL.format(
        rounds=", ".join(["%s"] * len(round_ids)), snapshot_scope=snapshot_scope, schools=sub
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [RosterSnapshot.Status.CERTIFIED, *round_ids, *scope_params, *params])
        return tuple(cursor.fetchone())


def _summary_key(*, schools: QuerySet, inputs: _Inputs, per_school: bool = False) -> str | None:
    """Return a cache key naming everything a term's summary is computed from: the certified
    snapshots of its rounds (a certification or revocation changes their count or the sum of their
    ids), the fiscal year's rates, the schools and their areas, the settings and the language. One
    small query (_fingerprint) besides the rates and rounds; None when the schools cannot be named
    (nothing is cached then)."""
    try:
        scope_sql = repr(schools.query.sql_with_params())
    except EmptyResultSet:
        return None
    rates = inputs.rates.rates
    parts = [
        inputs.academic_year, inputs.term, per_school, balance_mode(),
        settings.SUBSIDY_ADVANCE_SHARE, settings.SUBSIDY_MIN_AGE, translation.get_language(),
        scope_sql, sorted((r.pk, r.as_of.isoformat()) for r in inputs.rounds.values()),
        # the fiscal year's rates: how many, and the last change
        {"n": len(rates), "changed": max((r.updated_at for r in rates), default=None)},
        # The snapshots, and the schools: a school moved to another area changes the sum; a
        # renamed school shows within the cache's lifetime (the figures never lag).
        _fingerprint(schools=schools, inputs=inputs),
    ]  # fmt: skip
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return f"allocation-summary:{digest}"


def allocation_figures(
    *,
    schools: QuerySet,
    academic_year: int,
    term: int,
    per_school: bool = False,
    rounds: Iterable[Round] | None = None,
) -> AllocationSummary:
    """Return a term's allocation summary, kept in the cache for as long as nothing it is computed
    from has changed: without its per-school rows (``schools`` is empty), the national, area, item
    and status figures — a page of the whole nation reads a few kilobytes, not the rows of 29,000
    schools; with them (``per_school``) for one area office's schools, a few hundred rows. Names
    kept with the rows show a rename when the kept figures expire; the money never lags.
    ``rounds``: every round with its academic year, when the caller has read them."""
    inputs = _Inputs.load(academic_year=academic_year, term=term, rounds=rounds)
    key = _summary_key(schools=schools, inputs=inputs, per_school=per_school)
    figures = cache.get(key) if key else None
    if figures is None:
        summary = _summary(schools=schools, inputs=inputs)
        figures = dataclasses.replace(
            summary, schools=summary.schools if per_school else [], cache_key=key
        )
        if key:
            cache.set(key, figures, FIGURES_CACHE_SECONDS)
    return figures


def allocation_summary(
    *, schools: QuerySet, academic_year: int, term: int, rounds: Iterable[Round] | None = None
) -> AllocationSummary:
    """Return the term's allocation of every school in a queryset, in four queries whatever the
    term (three given ``rounds``, every round with its academic year): the rates, the rounds, the
    money per school and the lines per grade and item (the last two summed in the database,
    exactly, in satang)."""
    inputs = _Inputs.load(academic_year=academic_year, term=term, rounds=rounds)
    return _summary(schools=schools, inputs=inputs)


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
# rate or has a provisional one (_FLAG; a constant 0 when no rate of the term is missing or
# provisional, as once the year's rates are confirmed), and whether it was frozen under another
# minimum age.
_FLAG = "MAX(CASE WHEN c.learners > c.under_age AND r.{flag} = 1 THEN 1 ELSE 0 END)"
_SCHOOL_SQL = """
WITH {rates},
sums AS (
  SELECT s.school_id, s.round_id, CAST(s.public_id AS TEXT) AS public_id, s.id AS snapshot_id,
    SUM(CASE WHEN c.min_age = %s THEN {gross} ELSE 0 END) AS satang,
    {missing} AS missing, {provisional} AS provisional,
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
    # A flag no rate of the term raises is a constant, not a CASE evaluated on every line.
    missing = any((g, i) not in per_grade for g in Grade.values for i in items)
    flags = {"missing": _FLAG.format(flag="missing") if missing else "0",
             "provisional": _FLAG.format(flag="provisional") if provisional_keys else "0"}  # fmt: skip
    school_sql = _SCHOOL_SQL.format(
        **flags,
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


# --- the summary: per-payment aggregation, each school settled, area roll-up, totals -------------


def _rates_per_grade(rates: RateBook, items) -> tuple[dict, set]:
    """Return the baht per learner of one grade for one payment, by (grade, item) (absent: the
    rate is missing), and the (grade, item) whose rate is provisional."""
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
    return per_grade, provisional_keys


@dataclass
class _Payments:
    """The term's money per school and payment, and per payment, grade and item: what the
    database summed (_summary_rows), and the snapshots frozen under another minimum age counted
    again here."""

    inputs: _Inputs
    per_grade: dict[tuple[str, str], Decimal]
    provisional_keys: set[tuple[str, str]]
    rows: dict[int, dict] = field(default_factory=dict)  # per school id
    snapshot_ids: list[str] = field(default_factory=list)
    stale: dict[int, tuple[int, PaymentRule]] = field(default_factory=dict)  # snapshot → school
    grade_items: dict[tuple[str, str, str], dict] = field(default_factory=dict)
    used_missing: set[tuple[str, str]] = field(default_factory=set)  # (item, grade)

    @property
    def items(self) -> tuple[str, ...]:
        return items_of_term(self.inputs.term)

    def rule_of_round(self) -> dict[int, PaymentRule]:
        rounds = self.inputs.rounds
        return {
            rounds[(r.academic_year, r.round_number)].pk: r
            for r in self.inputs.rules
            if (r.academic_year, r.round_number) in rounds
        }

    def add_schools(self, school_rows: list[tuple], rule_of_round: dict[int, PaymentRule]) -> None:
        """Add each school in scope, with the gross of each payment a certified snapshot funds."""
        for (pk, code, name, area_id, area_code, area_name, round_id, snapshot, satang, missing,
             provisional, is_stale, snapshot_id, lines) in school_rows:  # fmt: skip
            row = self.rows.get(pk)
            if row is None:
                row = self.rows[pk] = {
                    "id": pk, "code": code, "name": name, "area_id": area_id,
                    "area_code": area_code, "area_name": area_name, "payments": {},
                    "snapshots": {}, "total": Decimal(0), "missing_rates": False,
                    "provisional": False,
                }  # fmt: skip
            if round_id is None:  # no certified snapshot in the term's rounds
                continue
            rule = rule_of_round[round_id]
            if len(snapshot) != 36:  # SQLite keeps the 32 hex digits
                snapshot = str(UUID(snapshot))
            row["snapshots"][rule.key] = snapshot
            self.snapshot_ids.append(snapshot)
            if is_stale:
                self.stale[snapshot_id] = (pk, rule)
                continue
            if lines:  # a snapshot of nobody pays nothing, and shows no amount
                row["payments"][rule.key] = Decimal(satang).scaleb(-2)
            row["missing_rates"] |= bool(missing)
            row["provisional"] |= bool(provisional)

    def cell(self, rule: PaymentRule, grade: str, item: str) -> dict:
        """Return the count, rate and amount of one payment, grade and item."""
        key = (rule.key, grade, item)
        if key not in self.grade_items:
            per = self.per_grade.get((grade, item))
            self.grade_items[key] = {"count": 0, "per": per, "amount": Decimal(0)}
            if per is None:
                self.used_missing.add((item, grade))
        return self.grade_items[key]

    def add_lines(self, line_rows: list[tuple], rule_of_round: dict[int, PaymentRule]) -> None:
        """Add the learners and amounts per payment, grade and item the database summed."""
        for round_id, grade, funded, *satang in line_rows:
            rule = rule_of_round[round_id]
            for item, amount in zip(self.items, satang, strict=True):
                line = self.cell(rule, grade, item)
                line["count"] += int(funded)
                if line["per"] is not None:
                    line["amount"] += Decimal(amount).scaleb(-2)

    def add_recounts(self) -> None:
        """Count again, here, the learners of the snapshots frozen under another minimum age."""
        items, per_grade = self.items, self.per_grade
        missing_grades = {g for g in Grade.values if any((g, i) not in per_grade for i in items)}
        provisional_grades = {g for g, _i in self.provisional_keys}
        for rule in self.inputs.rules:
            of_rule = {sid for sid, (_school, r) in self.stale.items() if r is rule}
            if not of_rule:
                continue
            round = self.inputs.rounds[(rule.academic_year, rule.round_number)]
            line = partial(_line_amounts, {}, per_grade=per_grade, items=items, share=rule.share)
            for school_id, grade, learners, under_age in _recount(round=round, snapshots=of_rule):
                funded = learners - under_age
                row = self.rows.get(school_id)
                if row is None or not funded:
                    continue
                amounts = line(grade, funded)
                paid = row["payments"]
                paid[rule.key] = paid.get(rule.key, Decimal(0)) + sum(amounts, Decimal(0))
                row["missing_rates"] |= grade in missing_grades
                row["provisional"] |= grade in provisional_grades
                for item, amount in zip(items, amounts, strict=True):
                    each = self.cell(rule, grade, item)
                    each["count"] += funded
                    each["amount"] += amount


def _payments(*, schools: QuerySet, inputs: _Inputs) -> _Payments:
    """Return the term's money per school, payment, grade and item, before any true-up."""
    per_grade, provisional_keys = _rates_per_grade(inputs.rates, items_of_term(inputs.term))
    payments = _Payments(inputs, per_grade, provisional_keys)
    school_rows, line_rows = _summary_rows(
        schools=schools, inputs=inputs, per_grade=per_grade, provisional_keys=provisional_keys
    )
    rule_of_round = payments.rule_of_round()
    payments.add_schools(school_rows, rule_of_round)
    payments.add_lines(line_rows, rule_of_round)
    payments.add_recounts()
    return payments


def _settle(row: dict, *, rules: list[PaymentRule], mode: str, term: int) -> Decimal | None:
    """Give a school's row its status, true-up and total by SchoolAllocation's rules; return the
    advance taken back from its balance (None when nothing is)."""
    snapshots, paid = row["snapshots"], row["payments"]
    row["status"] = SchoolAllocation.status_of(
        funded=len(snapshots),
        payments=len(rules),
        missing_rates=row["missing_rates"],
        provisional=row["provisional"],
    )
    if row["status"] == "none":  # half the schools on a count's morning: nothing to add up
        return None
    taken = SchoolAllocation.taken_back(mode=mode, term=term, paid=paid, funded=snapshots)
    if taken is not None:
        paid["balance"] = paid.get("balance", Decimal(0)) - taken
    row["total"] = sum(paid.values(), Decimal(0))
    return taken


def _areas(rows: Iterable[dict]) -> list[dict]:
    """Roll the schools' rows up per area office, in code order."""
    areas: dict[int, dict] = {}
    for row in rows:
        area = areas.get(row["area_id"])
        if area is None:
            area = areas[row["area_id"]] = {
                "id": row["area_id"], "code": row["area_code"], "name": row["area_name"],
                "schools": 0, "funded": 0, "unfunded": 0, "total": Decimal(0),
            }  # fmt: skip
        area["schools"] += 1
        if row["status"] == "none":
            area["unfunded"] += 1
            continue
        area["funded"] += 1
        area["total"] += row["total"]
    return sorted(areas.values(), key=lambda a: a["code"])


def _summary(*, schools: QuerySet, inputs: _Inputs) -> AllocationSummary:
    """Return the summary of a term: the money per school and payment (_payments), each school
    settled (_settle), rolled up per area office (_areas), and the totals."""
    rules, mode = inputs.rules, balance_mode()
    payments = _payments(schools=schools, inputs=inputs)
    rows = payments.rows.values()
    total = deduction = Decimal(0)
    statuses: dict[str, int] = defaultdict(int)
    payment_totals: dict[str, Decimal] = {r.key: Decimal(0) for r in rules}
    for row in rows:
        taken = _settle(row, rules=rules, mode=mode, term=inputs.term)
        statuses[row["status"]] += 1
        if row["status"] == "none":
            continue
        if taken is not None:
            deduction += taken
        for key, amount in row["payments"].items():
            payment_totals[key] += amount
        total += row["total"]
    item_totals: dict[str, Decimal] = {item: Decimal(0) for item in payments.items}
    for (_key, _grade, item), each in payments.grade_items.items():
        item_totals[item] += each["amount"]
    snapshot_ids = ",".join(sorted(payments.snapshot_ids))
    return AllocationSummary(
        academic_year=inputs.academic_year,
        term=inputs.term,
        fiscal_year=inputs.fiscal_year,
        mode=mode,
        rules=rules,
        rounds={r.key: inputs.rounds.get((r.academic_year, r.round_number)) for r in rules},
        schools=list(rows),
        areas=_areas(rows),
        items=item_totals,
        grade_items=payments.grade_items,
        missing_rates=payments.used_missing,
        provisional=any(r["provisional"] for r in rows),
        deduction=deduction,
        total=total,
        step_hash=hashlib.sha256(snapshot_ids.encode()).hexdigest()[:24],
        statuses=dict(statuses),
        payment_totals=dict(payment_totals),
    )
