"""Count rounds and each school's way through one: prepare → confirm → certify (or reject) →
acknowledge, or missed; revocation by the ministry. The windows are checked here, on the server."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.mail import mail_compose
from accounts.models import User
from accounts.selectors import schools_emails
from accounts.tasks import mail_queue
from schools.bulk import select_values, update_rows
from schools.calendar import default_as_of
from schools.checks import check_reason
from schools.models import School
from schools.services import measurement_statuses_freeze
from schools.templatetags.thai import be_date, in_thai, thai_date
from schools.validation import school_findings

from .allocation import funded_born_after
from .area_windows import area_windows_follow
from .dashboard import area_schools
from .models import (
    ROUND_FIELDS,
    ROUND_TIMES,
    AcademicYear,
    AreaWindow,
    CountWindows,
    RosterSnapshot,
    Round,
    RoundChange,
    RoundReminder,
    SchoolRound,
    SnapshotRow,
)
from .selectors import windows_for

# The guideline's count day: the confirm button works from 08:00, the director certifies from
# 08:30, and the system closes at 16:30 (as are the citizen-ID corrections).
DEFAULT_CONFIRM_OPENS = time(8, 0)
DEFAULT_CERTIFY_OPENS = time(8, 30)
DEFAULT_CLOSES = time(16, 30)
# Staff are asked to confirm from 08:30 although the button works from 08:00: the page says both.
GUIDELINE_CONFIRM_FROM = time(8, 30)


def _at(day: date, clock: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, clock))


def _round_defaults(as_of: date) -> dict:
    return {
        "as_of": as_of,
        "confirm_opens": _at(as_of, DEFAULT_CONFIRM_OPENS),
        "confirm_closes": _at(as_of, DEFAULT_CLOSES),
        "certify_opens": _at(as_of, DEFAULT_CERTIFY_OPENS),
        "certify_closes": _at(as_of, DEFAULT_CLOSES),
        "id_correction_cutoff": _at(as_of, DEFAULT_CLOSES),
    }


@transaction.atomic
def academic_year_create(*, year_be: int, actor: User | None) -> AcademicYear:
    """Create an academic year with its three rounds on the default dates and windows."""
    if AcademicYear.objects.filter(year=year_be).exists():
        raise ValidationError(
            _("Academic year %(y)d already exists.") % {"y": year_be},
            code="exists",
        )
    if not 2500 <= year_be <= 2700:
        raise ValidationError(
            _("The academic year is a Buddhist year, e.g. 2569."),
            code="year",
        )
    year = AcademicYear.objects.create(year=year_be, created_by=actor)
    Round.objects.bulk_create(
        Round(academic_year=year, number=n, **_round_defaults(default_as_of(year_be, n)))
        for n in (1, 2, 3)
    )
    return year


def check_round_times(*, fields: dict) -> None:
    """Refuse windows that close before they open; raise ValidationError naming the field."""
    errors = {}
    for opens, closes in (("confirm_opens", "confirm_closes"), ("certify_opens", "certify_closes")):
        if fields[opens] >= fields[closes]:
            errors[closes] = _("The window must close after it opens.")
    if fields["certify_closes"] < fields["confirm_opens"]:
        errors["certify_closes"] = _("Certification must close after confirmation opens.")
    if errors:
        raise ValidationError(errors)


_OPENINGS = ("confirm_opens", "certify_opens")


def _follow_as_of(*, before: dict, after: dict) -> dict:
    """Move the times left as they were to the new as-of date, at the same Bangkok clock time:
    a count day that moves takes its windows and its ID-correction cut-off with it."""
    days = after["as_of"] - before["as_of"]
    if not days:
        return after
    moved = dict(after)
    for name in ROUND_TIMES:
        if after[name] == before[name]:
            local = timezone.localtime(before[name])
            moved[name] = _at(local.date() + days, local.time())
    return moved


def check_round_change(*, before: dict, after: dict, at: datetime) -> None:
    """Refuse a change of a round that would rewrite what has passed: a time that has passed stays
    as it is, a close (or the cut-off) cannot move into the past, and the as-of date stays once a
    window has opened; raise ValidationError naming the field."""
    errors = {}
    for name in ROUND_TIMES:
        old, new = before[name], after[name]
        if old == new:
            continue
        if old <= at:
            errors[name] = _("%(when)s has passed: this time can no longer change.") % {
                "when": thai_date(old)
            }
        elif name not in _OPENINGS and new <= at:
            # A window shortened to a close already past would end at once for the schools in it.
            errors[name] = _(
                "This close would already have passed (it is %(now)s now): a window can only "
                "be shortened to a time still ahead."
            ) % {"now": thai_date(at)}
    if after["as_of"] != before["as_of"] and min(before[n] for n in _OPENINGS) <= at:
        errors["as_of"] = _("The as-of date cannot change once a window of the round has opened.")
    if errors:
        raise ValidationError(errors)


def _iso(value) -> str:
    return (timezone.localtime(value) if isinstance(value, datetime) else value).isoformat()


@transaction.atomic
def round_update(
    *, round: Round, actor: User | None, at: datetime | None = None, **fields
) -> Round:
    """Change a round's as-of date or windows (ministry admin) and log the change.

    Times left unchanged follow a moved as-of date; what has passed cannot change. Call it through
    workflows.services.round_change, which moves the round's open processes with it.
    """
    round = Round.objects.select_for_update().get(pk=round.pk)
    if round.closed_at is not None:
        raise ValidationError(_("This round has closed and cannot change."), code="closed")
    before = {name: getattr(round, name) for name in ROUND_FIELDS}
    after = _follow_as_of(
        before=before, after={name: fields.get(name, before[name]) for name in ROUND_FIELDS}
    )
    check_round_times(fields=after)
    check_round_change(before=before, after=after, at=at or timezone.now())
    changed = [name for name in ROUND_FIELDS if after[name] != before[name]]
    if not changed:
        return round
    area_windows_follow(round=round, after=after)
    for name in changed:
        setattr(round, name, after[name])
    round.save(update_fields=changed)
    RoundChange.objects.create(
        round=round,
        changed_by=actor,
        before={name: _iso(before[name]) for name in changed},
        after={name: _iso(after[name]) for name in changed},
    )
    return round


@transaction.atomic
def demo_round_create(*, day: date) -> Round:
    """Create (once) a demo round whose as-of date is that day, open from 00:00 to 23:59."""
    existing = Round.objects.filter(is_demo=True, as_of=day).first()
    if existing:
        return existing
    year_be = day.year + 543 if day >= date(day.year, 5, 16) else day.year + 542
    year, _created = AcademicYear.objects.get_or_create(year=year_be)
    opens, closes = _at(day, time(0, 0)), _at(day + timedelta(days=1), time(0, 0))
    return Round.objects.create(
        academic_year=year,
        number=2 if day.month >= 11 or day.month <= 4 else 1,
        is_demo=True,
        as_of=day,
        confirm_opens=opens,
        confirm_closes=closes,
        certify_opens=opens,
        certify_closes=closes,
        id_correction_cutoff=closes,
    )


# --- windows -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    opens: datetime
    closes: datetime

    def contains(self, at: datetime) -> bool:
        """Return whether a moment falls in the window: from its opening, up to (not at) its close."""
        return self.opens <= at < self.closes

    def describe(self) -> str:
        opens, closes = timezone.localtime(self.opens), timezone.localtime(self.closes)
        if opens.date() == closes.date():
            return f"{thai_date(opens.date())} {opens:%H:%M}–{closes:%H:%M} น."
        if closes - opens <= timedelta(days=1) and closes.time() == time(0, 0):
            return f"{thai_date(opens.date())} {opens:%H:%M}–24:00 น."
        return f"{thai_date(opens)} – {thai_date(closes)}"


def confirm_window(round: CountWindows) -> Window:
    return Window(round.confirm_opens, round.confirm_closes)


def certify_window(round: CountWindows) -> Window:
    return Window(round.certify_opens, round.certify_closes)


def confirm_asked_from(round: Round) -> datetime | None:
    """Return when the guideline asks staff to confirm, if the confirm button works before then."""
    if round.is_demo:  # a demo round is open all day, outside the guideline
        return None
    asked = _at(timezone.localdate(round.confirm_opens), GUIDELINE_CONFIRM_FROM)
    return asked if round.confirm_opens < asked < round.confirm_closes else None


def check_confirm_window(
    *, round: Round, at: datetime | None = None, area_office_id: int | None = None
) -> None:
    """Refuse a confirmation outside the confirm window (the area office's own, if it has one)."""
    _check_window(
        confirm_window,
        round=round,
        at=at,
        area_office_id=area_office_id,
        own=_("Confirmation is open for your area office only %(w)s (Bangkok time)."),
        shared=_("Confirmation is open only %(w)s (Bangkok time)."),
    )


def check_certify_window(
    *, round: Round, at: datetime | None = None, area_office_id: int | None = None
) -> None:
    """Refuse a certification (or a rejection) outside the certify window (the area office's own,
    if it has one)."""
    _check_window(
        certify_window,
        round=round,
        at=at,
        area_office_id=area_office_id,
        own=_("Certification is open for your area office only %(w)s (Bangkok time)."),
        shared=_("Certification is open only %(w)s (Bangkok time)."),
    )


def _check_window(
    window_of: Callable[[CountWindows], Window],
    *,
    round: Round,
    at: datetime | None,
    area_office_id: int | None,
    own: str,
    shared: str,
) -> None:
    """Refuse a step outside its window (window_of the area office's own windows, if it has them,
    otherwise the round's), saying whose window it is."""
    windows = windows_for(round=round, area_office_id=area_office_id)
    window = window_of(windows)
    if not window.contains(at or timezone.now()):
        message = own if isinstance(windows, AreaWindow) else shared
        raise ValidationError(message % {"w": window.describe()}, code="window")


def id_correction_freeze_ends(round: Round) -> datetime:
    """Return when a round's citizen-ID freeze ends: its count day's end or its certify close, the later."""
    return max(_at(round.as_of + timedelta(days=1), time(0, 0)), round.certify_closes)


def id_corrections_frozen_by(*, at: datetime | None = None) -> Round | None:
    """Return the round that freezes citizen-ID corrections at a moment, or None while they may change.

    From a round's cut-off no ID changes until its count day is over and its certify window has
    closed: with the default windows the cut-off and the close are both 16:30, and an ID changed at
    16:45 on the count day would still differ from what the school just certified. Any round counts,
    several on one day included; the one that ends the freeze last is returned.
    """
    at = at or timezone.now()
    rounds = Round.objects.filter(id_correction_cutoff__lte=at).filter(
        Q(as_of=timezone.localdate(at)) | Q(certify_closes__gt=at)
    )
    return max(rounds, key=id_correction_freeze_ends, default=None)


# --- a school's way through a round -------------------------------------------------------------

# Each step takes ``at``, the moment of the act (now when not given): its window is checked, and
# the step dated, at that moment, so that a record or a replayed history states when it happened.


def _lock(school_round: SchoolRound) -> SchoolRound:
    # Lock the school's row only: FOR UPDATE on the join would also lock the round's single row,
    # and every school of the country would queue behind each other's certification.
    return (
        SchoolRound.objects.select_for_update(of=("self",))
        .select_related("round", "school")
        .get(pk=school_round.pk)
    )


def _state_error(school_round: SchoolRound) -> ValidationError:
    return ValidationError(
        _("Not possible while the round is %(s)s.") % {"s": school_round.get_state_display()},
        code="state",
    )


def _locked_in(school_round: SchoolRound, *states: str) -> SchoolRound:
    """Lock the school's round and return it as stored; refuse it unless it is in one of the states."""
    school_round = _lock(school_round)
    if school_round.state not in states:
        raise _state_error(school_round)
    return school_round


@transaction.atomic
def school_round_open(*, round: Round, school: School) -> tuple[SchoolRound, bool]:
    """Return the school's round record, creating it once; say whether it was created."""
    return SchoolRound.objects.get_or_create(round=round, school=school)


def check_findings(*, school: School) -> None:
    """Refuse the school's data while validation errors remain or queries lack an explanation."""
    findings = school_findings(school=school)
    problems = []
    if findings.errors:
        problems.append(
            _("%(n)d validation error(s) remain: fix them before confirming.")
            % {"n": len(findings.errors)}
        )
    if findings.unexplained_queries:
        problems.append(
            _("%(n)d query(ies) still need an explanation.")
            % {"n": len(findings.unexplained_queries)}
        )
    if problems:
        raise ValidationError(problems, code="findings")


@transaction.atomic
def school_round_prepare(
    *, school_round: SchoolRound, actor: User, at: datetime | None = None
) -> SchoolRound:
    """Mark the school's data as prepared by its staff (the step before confirming); refused, as
    confirming is, while validation errors remain or queries lack an explanation."""
    school_round = _locked_in(
        school_round, SchoolRound.State.NOT_STARTED, SchoolRound.State.PREPARED
    )
    check_findings(school=school_round.school)
    school_round.state = SchoolRound.State.PREPARED
    school_round.prepared_at = at or timezone.now()
    school_round.save(update_fields=["state", "prepared_at", "updated_at"])
    return school_round


@transaction.atomic
def school_round_confirm(
    *, school_round: SchoolRound, actor: User, at: datetime | None = None
) -> SchoolRound:
    """Confirm the school's data inside the confirm window; refused while validation errors remain."""
    school_round = _locked_in(school_round, SchoolRound.State.PREPARED)
    check_confirm_window(
        round=school_round.round, at=at, area_office_id=school_round.school.area_office_id
    )
    # Checked again: the data may have changed since it was prepared.
    check_findings(school=school_round.school)
    school_round.state = SchoolRound.State.CONFIRMED
    school_round.confirmed_at = at or timezone.now()
    school_round.confirmed_by = actor
    school_round.last_rejection = ""
    school_round.save(
        update_fields=["state", "confirmed_at", "confirmed_by", "last_rejection", "updated_at"]
    )
    return school_round


@transaction.atomic
def school_round_reject(
    *, school_round: SchoolRound, actor: User, reason: str, at: datetime | None = None
) -> SchoolRound:
    """Send a confirmation back to the staff with a reason (director, inside the certify window)."""
    school_round = _locked_in(school_round, SchoolRound.State.CONFIRMED)
    check_certify_window(
        round=school_round.round, at=at, area_office_id=school_round.school.area_office_id
    )
    reason = check_reason(reason)
    school_round.state = SchoolRound.State.PREPARED
    school_round.last_rejection = reason
    school_round.rejected_at, school_round.rejected_by = at or timezone.now(), actor
    school_round.save(
        update_fields=["state", "last_rejection", "rejected_at", "rejected_by", "updated_at"]
    )
    return school_round


@transaction.atomic
def school_round_certify(
    *, school_round: SchoolRound, actor: User, at: datetime | None = None
) -> RosterSnapshot:
    """Certify the confirmed data inside the certify window and freeze the roster snapshot."""
    school_round = _locked_in(school_round, SchoolRound.State.CONFIRMED)
    check_certify_window(
        round=school_round.round, at=at, area_office_id=school_round.school.area_office_id
    )
    snapshot = snapshot_freeze(school_round=school_round, actor=actor, at=at)
    school_round.state = SchoolRound.State.CERTIFIED
    school_round.certified_at = snapshot.certified_at
    school_round.certified_by = actor
    school_round.save(update_fields=["state", "certified_at", "certified_by", "updated_at"])
    return snapshot


@transaction.atomic
def school_round_acknowledge(
    *, school_round: SchoolRound, actor: User, at: datetime | None = None
) -> SchoolRound:
    """Record that the area office has seen the school's certification."""
    school_round = _locked_in(school_round, SchoolRound.State.CERTIFIED)
    school_round.state = SchoolRound.State.ACKNOWLEDGED
    school_round.acknowledged_at, school_round.acknowledged_by = at or timezone.now(), actor
    school_round.save(update_fields=["state", "acknowledged_at", "acknowledged_by", "updated_at"])
    return school_round


@transaction.atomic
def school_round_miss(*, school_round: SchoolRound) -> SchoolRound:
    """Mark a school that did not certify by the close of the window as missed."""
    school_round = _lock(school_round)
    if school_round.state in (
        SchoolRound.State.CERTIFIED,
        SchoolRound.State.ACKNOWLEDGED,
        SchoolRound.State.MISSED,
    ):
        return school_round
    school_round.state = SchoolRound.State.MISSED
    school_round.save(update_fields=["state", "updated_at"])
    return school_round


@transaction.atomic
def school_round_revoke(
    *, school_round: SchoolRound, actor: User, reason: str, at: datetime | None = None
) -> RosterSnapshot:
    """Revoke a certification with a reason (ministry); the school may certify again while the
    window is open, otherwise the round stays revoked."""
    school_round = _locked_in(
        school_round, SchoolRound.State.CERTIFIED, SchoolRound.State.ACKNOWLEDGED
    )
    reason = check_reason(reason)
    now = at or timezone.now()
    snapshot = RosterSnapshot.objects.select_for_update().get(
        school_round=school_round, status=RosterSnapshot.Status.CERTIFIED
    )
    snapshot.status = RosterSnapshot.Status.REVOKED
    snapshot.revoked_at, snapshot.revoked_by, snapshot.revoked_reason = now, actor, reason
    snapshot.save(update_fields=["status", "revoked_at", "revoked_by", "revoked_reason"])
    reopen = confirm_window(school_round.round).contains(now)
    school_round.state = SchoolRound.State.PREPARED if reopen else SchoolRound.State.REVOKED
    school_round.revoked_reason = reason
    school_round.save(update_fields=["state", "revoked_reason", "updated_at"])
    return snapshot


# --- the snapshot -------------------------------------------------------------------------------

# The freeze is set-based: each statement below fills every snapshot of a set at once (the set the
# SQL of a queryset, ``({snapshots}) snap``: their ids and schools, all as of one date, one
# round's), whether the set is the one snapshot a certification freezes or every certified school
# of seed_scale's round. As a derived table, not an IN (…): the planner reads it as the snapshot
# table itself, filtered, and a school's freeze runs as if its snapshot were a constant.

# One statement copies, into each snapshot, every learner enrolled at its school on the as-of date
# with their latest measurement.
_FREEZE_COLUMNS = """
INSERT INTO census_snapshotrow (snapshot_id, student_id, citizen_id, gcode, title, first_name_th,
    last_name_th, sex, birth_date, grade, room, weight_kg, height_cm, measured_on, wfh_z, hfa_z,
    wfa_z, wfh_band, hfa_band, wfa_band, nutrition_issue, nutrition_reference)
SELECT snap.id, s.id, COALESCE(s.citizen_id, ''), COALESCE(s.gcode, ''), s.title, s.first_name_th,
    s.last_name_th, s.sex, s.birth_date, e.grade, e.room, m.weight_kg, m.height_cm, m.measured_on,
    m.wfh_z, m.hfa_z, m.wfa_z, COALESCE(m.wfh_band, ''), COALESCE(m.hfa_band, ''),
    COALESCE(m.wfa_band, ''), COALESCE(m.nutrition_issue, ''), COALESCE(m.nutrition_reference, '')
FROM ({snapshots}) snap
JOIN schools_enrollment e ON e.school_id = snap.school_id
JOIN schools_student s ON s.id = e.student_id
"""
_FREEZE_WHERE = """
WHERE e.started_on <= %s AND (e.ended_on IS NULL OR e.ended_on > %s)
"""
# PostgreSQL: a LATERAL join walks the (student, measured_on) index once per learner.
# Constant SQL assembled from literals; every value is a bound parameter.
FREEZE_SQL_POSTGRESQL = (
    _FREEZE_COLUMNS  # noqa: S608
    + """LEFT JOIN LATERAL (
    SELECT m2.weight_kg, m2.height_cm, m2.measured_on, m2.wfh_z, m2.hfa_z, m2.wfa_z, m2.wfh_band,
        m2.hfa_band, m2.wfa_band, m2.nutrition_issue, m2.nutrition_reference
    FROM schools_measurement m2
    WHERE m2.student_id = e.student_id AND m2.measured_on <= %s
    ORDER BY m2.measured_on DESC LIMIT 1) m ON TRUE"""
    + _FREEZE_WHERE
)
# SQLite (the embedded default) has no LATERAL: the same lookup as a correlated subquery.
FREEZE_SQL_PORTABLE = (
    _FREEZE_COLUMNS  # noqa: S608
    + """LEFT JOIN schools_measurement m ON m.id = (
    SELECT m2.id FROM schools_measurement m2
    WHERE m2.student_id = e.student_id AND m2.measured_on <= %s
    ORDER BY m2.measured_on DESC, m2.id DESC LIMIT 1)"""
    + _FREEZE_WHERE
)

# Each snapshot's learners per grade, written once from the rows just frozen: what the reports and
# the allocation read instead of the rows themselves.
_GRADE_COUNTS_SQL = """
INSERT INTO census_snapshotgradecount (snapshot_id, grade, learners, male, female, under_age,
    min_age)
SELECT r.snapshot_id, r.grade, COUNT(*), SUM(CASE WHEN r.sex = 'M' THEN 1 ELSE 0 END),
    SUM(CASE WHEN r.sex = 'F' THEN 1 ELSE 0 END),
    SUM(CASE WHEN r.birth_date > %s THEN 1 ELSE 0 END), %s
FROM census_snapshotrow r JOIN ({snapshots}) snap ON snap.id = r.snapshot_id
GROUP BY r.snapshot_id, r.grade
"""

# Its learners per band of each nutrition indicator, by grade and sex (an empty band: no status).
_NUTRITION_COUNTS_SQL = """
INSERT INTO census_snapshotnutritioncount (snapshot_id, grade, sex, indicator, band, learners)
SELECT r.snapshot_id, r.grade, r.sex, 'wfh', r.wfh_band, COUNT(*) FROM census_snapshotrow r
    JOIN ({snapshots}) snap ON snap.id = r.snapshot_id
    GROUP BY r.snapshot_id, r.grade, r.sex, r.wfh_band
UNION ALL SELECT r.snapshot_id, r.grade, r.sex, 'hfa', r.hfa_band, COUNT(*) FROM census_snapshotrow r
    JOIN ({snapshots}) snap ON snap.id = r.snapshot_id
    GROUP BY r.snapshot_id, r.grade, r.sex, r.hfa_band
UNION ALL SELECT r.snapshot_id, r.grade, r.sex, 'wfa', r.wfa_band, COUNT(*) FROM census_snapshotrow r
    JOIN ({snapshots}) snap ON snap.id = r.snapshot_id
    GROUP BY r.snapshot_id, r.grade, r.sex, r.wfa_band
"""


def _snapshots_sql(snapshots: QuerySet[RosterSnapshot]) -> tuple[str, tuple]:
    """Return the SQL and parameters of the snapshots' ids and schools, for ``{snapshots}``."""
    return snapshots.order_by().values("id", "school_id").query.sql_with_params()


def freeze_sql(snapshots: QuerySet[RosterSnapshot], as_of: date) -> tuple[str, list]:
    """Return the statement (and its parameters) that copies the rosters of the snapshots, all as
    of ``as_of``, into their rows: the freeze's one INSERT … SELECT, as the database receives it."""
    ids, params = _snapshots_sql(snapshots)
    sql = FREEZE_SQL_POSTGRESQL if connection.vendor == "postgresql" else FREEZE_SQL_PORTABLE
    return sql.format(snapshots=ids), [*params, as_of, as_of, as_of]


def snapshots_freeze(
    *, snapshots: QuerySet[RosterSnapshot], as_of: date
) -> dict[int, dict[str, dict[str, int]]]:
    """Fill snapshots just made, all as of ``as_of`` (one round's), set-based: the rosters of their
    schools on that day (one INSERT … SELECT for them all), then their counts (snapshots_counts_
    write); return the counts by snapshot id. The statuses of the measurements are copied as they
    stand (snapshot_freeze brings them up to date first)."""
    with connection.cursor() as cursor:
        cursor.execute(*freeze_sql(snapshots, as_of))
    return snapshots_counts_write(snapshots=snapshots, as_of=as_of)


def snapshots_counts_write(
    *, snapshots: QuerySet[RosterSnapshot], as_of: date
) -> dict[int, dict[str, dict[str, int]]]:
    """Write what the freeze counts from the rows of snapshots all as of ``as_of``: their learners
    per grade and per nutrition band (one statement each), and each snapshot's learners by grade
    and sex and in all (its ``counts`` and ``learner_count``); return the counts by snapshot id."""
    snapshot_grade_counts_write(snapshots=snapshots, as_of=as_of)
    snapshot_nutrition_counts_write(snapshots=snapshots)
    counts: dict[int, dict[str, dict[str, int]]] = {}
    rows = select_values(
        snapshots.order_by("pk", "grade_counts__grade").values_list(
            "pk", "grade_counts__grade", "grade_counts__male", "grade_counts__female"
        )
    )
    for pk, grade, male, female in rows:
        by_grade = counts.setdefault(pk, {})
        if grade is not None:
            by_grade[grade] = {"M": male, "F": female}
    update_rows(
        RosterSnapshot,
        ["counts", "learner_count"],
        [(pk, c, _learners(c)) for pk, c in counts.items()],
    )
    return counts


def _learners(counts: dict[str, dict[str, int]]) -> int:
    return sum(n for by_sex in counts.values() for n in by_sex.values())


def snapshot_freeze(
    *, school_round: SchoolRound, actor: User, at: datetime | None = None
) -> RosterSnapshot:
    """Copy the school's roster on the as-of date into an immutable snapshot (one INSERT … SELECT)
    with its learners per grade (by sex, and under the subsidy's minimum age) and per nutrition
    band: each learner's latest measurement with its status, computed again first where stale,
    so that what is frozen is what the figures and the learner give that day."""
    round = school_round.round
    measurement_statuses_freeze(school_id=school_round.school_id, on=round.as_of)
    snapshot = RosterSnapshot.objects.create(
        school_round=school_round,
        school=school_round.school,
        round=round,
        as_of=round.as_of,
        certified_at=at or timezone.now(),
        certified_by=actor,
    )
    counts = snapshots_freeze(
        snapshots=RosterSnapshot.objects.filter(pk=snapshot.pk), as_of=round.as_of
    )[snapshot.pk]
    snapshot.counts, snapshot.learner_count = counts, _learners(counts)
    return snapshot


def snapshot_grade_counts_write(*, snapshots: QuerySet[RosterSnapshot], as_of: date) -> None:
    """Write the snapshots' learners per grade, by sex and under the subsidy's minimum age on their
    as-of date, from their rows (one INSERT … SELECT … GROUP BY, inside the freeze's transaction)."""
    ids, params = _snapshots_sql(snapshots)
    with connection.cursor() as cursor:
        cursor.execute(
            _GRADE_COUNTS_SQL.format(snapshots=ids),
            [funded_born_after(as_of), settings.SUBSIDY_MIN_AGE, *params],
        )


def snapshot_nutrition_counts_write(*, snapshots: QuerySet[RosterSnapshot]) -> None:
    """Write the snapshots' learners per band of each nutrition indicator, by grade and sex, from
    their rows (one INSERT … SELECT … GROUP BY, inside the freeze's transaction)."""
    ids, params = _snapshots_sql(snapshots)
    with connection.cursor() as cursor:
        cursor.execute(_NUTRITION_COUNTS_SQL.format(snapshots=ids), [*params] * 3)


def snapshot_rows(*, snapshot: RosterSnapshot):
    """Return the snapshot's learners in grade, room and name order."""
    return SnapshotRow.objects.filter(snapshot=snapshot).order_by(
        "grade", "room", "first_name_th", "last_name_th", "pk"
    )


@in_thai
@transaction.atomic
def round_remind(*, round: Round, area_office, actor: User) -> int:
    """E-mail every school of the area not yet certified for the round (once each); log it."""
    done = (SchoolRound.State.CERTIFIED, SchoolRound.State.ACKNOWLEDGED)
    pending = [
        s for s in area_schools(area_office=area_office, round=round) if s.round_state not in done
    ]
    messages, codes = [], []
    emails = schools_emails(school_ids=[s.pk for s in pending])
    for school in pending:
        to = emails.get(school.pk)
        if not to:
            continue
        codes.append(school.code)
        subject, body = mail_compose("census/mail/round_reminder", {
            "school": school.name_th, "round": round,
            # An e-mail is Thai first: the date too, whatever the sender's language.
            "closes": be_date(round.certify_closes),
        })  # fmt: skip
        messages.append((subject, body, to))
    RoundReminder.objects.create(
        round=round, area_office=area_office, sent_by=actor, school_codes=codes
    )
    for subject, body, to in messages:
        mail_queue(subject=subject, body=body, recipients=to)
    return len(codes)
