"""Reads of rounds and school rounds."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    ROUND_FIELDS,
    AreaWindow,
    CountWindows,
    RosterSnapshot,
    Round,
    RoundChange,
    SchoolRound,
)


def windows_for(*, round: Round, area_office_id: int | None) -> CountWindows:
    """Return what holds an area office's windows in a round: its own when the ministry staggered
    the round, otherwise the round."""
    if area_office_id is None:
        return round
    own = AreaWindow.objects.filter(round=round, area_office_id=area_office_id).first()
    return own or round


def roster_locked(*, school_id: int) -> bool:
    """Return whether a school's roster is frozen: confirmed, awaiting the director."""
    return SchoolRound.objects.filter(
        school_id=school_id, state=SchoolRound.State.CONFIRMED
    ).exists()


def school_rounds_latest(*, school) -> list[SchoolRound]:
    """Return the school's latest count rounds with their state (one query)."""
    return list(
        SchoolRound.objects.filter(school=school)
        .select_related("round__academic_year")
        .order_by("-round__as_of", "-pk")[:6]
    )


def _round_lead() -> timedelta:
    # Processes start this long before the confirm window, so that staff can prepare.
    return timedelta(days=settings.ROUND_OPENS_DAYS_BEFORE)


def round_processes_start_at(round: Round) -> datetime:
    """Return the moment a round's processes are due to start (ROUND_OPENS_DAYS_BEFORE ahead)."""
    return round.confirm_opens - _round_lead()


def rounds_open_for_processes(*, at: datetime | None = None) -> QuerySet[Round]:
    """Return the rounds due to open (ROUND_OPENS_DAYS_BEFORE before the confirm window, so that
    staff can prepare) whose processes are not started yet."""
    at = at or timezone.now()
    return Round.objects.filter(
        opened_at__isnull=True, confirm_opens__lte=at + _round_lead(), certify_closes__gt=at
    )


def rounds_to_close(*, at: datetime | None = None) -> QuerySet[Round]:
    """Return the rounds whose certify window has closed and whose unfinished schools are not yet marked."""
    at = at or timezone.now()
    return Round.objects.filter(closed_at__isnull=True, certify_closes__lte=at)


def certified_snapshot(*, school_id: int, round_id: int) -> RosterSnapshot | None:
    """Return the school's certified snapshot of a round, if any."""
    return RosterSnapshot.objects.filter(
        school_id=school_id, round_id=round_id, status=RosterSnapshot.Status.CERTIFIED
    ).first()


def round_changes(*, round: Round) -> list[dict]:
    """Return the round's changes, newest first, each with who, when, and each field's before and
    after as moments (or the as-of date)."""
    changes = RoundChange.objects.filter(round=round).select_related("changed_by")
    return [
        {
            "changed_at": change.changed_at,
            "changed_by": change.changed_by,
            "fields": [
                (Round._meta.get_field(name).verbose_name, _value(change.before[name]),
                 _value(change.after[name]))
                for name in ROUND_FIELDS if name in change.after
            ] + [
                (_area_label(key), _value(change.before[key]), _value(change.after[key]))
                for key in change.after if "@" in key
            ],
        }
        for change in changes
    ]  # fmt: skip


def _area_label(key: str) -> str:
    """Label an area office's window time of the log ("confirm_opens@1001")."""
    name, code = key.split("@", 1)
    return _("%(field)s, area office %(code)s") % {
        "field": Round._meta.get_field(name).verbose_name,
        "code": code,
    }


def _value(iso: str) -> date | datetime | str:
    """A logged moment or date; an area office's empty time stands for the round's window."""
    if not iso:
        return _("the round's window")
    return datetime.fromisoformat(iso) if "T" in iso else date.fromisoformat(iso)
