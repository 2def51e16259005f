"""Reminders the system sends by itself (Celery beat): schools not yet confirmed are e-mailed the day
before the count day and at 14:30 on it; a director is e-mailed when a confirmation waits.

Each (round, school, occasion) is e-mailed once: the round's row is locked while the reminders are
recorded, and the e-mails leave after the commit. In a staggered round each group of area offices
is reminded by its own windows (census.area_windows)."""

from collections import defaultdict
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from accounts.mail import mail_compose
from accounts.models import Role
from accounts.selectors import schools_emails
from accounts.tasks import mail_queue
from schools.templatetags.thai import be_date, in_thai

from .models import AreaWindow, AutomaticReminder, CountWindows, Round, SchoolRound

DAY_BEFORE_AT = time(9, 0)
# 14:30 on a count day whose window closes at 16:30.
AFTERNOON_BEFORE_CLOSE = timedelta(hours=2)
NOT_CONFIRMED = (SchoolRound.State.NOT_STARTED, SchoolRound.State.PREPARED)
Kind = AutomaticReminder.Kind


def _day_before_at(round: CountWindows) -> datetime:
    opens = timezone.localtime(round.confirm_opens)
    day = opens.date() - timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, DAY_BEFORE_AT))


def due_kinds(round: CountWindows, now: datetime) -> list[str]:
    """Return the reminders due at a moment by a round's windows (or an area office's own)."""
    kinds = []
    if _day_before_at(round) <= now < round.confirm_opens:
        kinds.append(Kind.DAY_BEFORE)
    if round.confirm_closes - AFTERNOON_BEFORE_CLOSE <= now < round.confirm_closes:
        kinds.append(Kind.AFTERNOON)
    if round.certify_opens <= now < round.certify_closes:
        kinds.append(Kind.DIRECTOR)
    return kinds


def _pending(round: Round, kind: str, schools: Q):
    states = (SchoolRound.State.CONFIRMED,) if kind == Kind.DIRECTOR else NOT_CONFIRMED
    rows = (
        SchoolRound.objects.filter(round=round, state__in=states)
        .filter(schools)
        .select_related("school")
    )
    sent = set(
        AutomaticReminder.objects.filter(round=round, kind=kind).values_list(
            "school_id", "occasion"
        )
    )
    out = []
    for sr in rows:
        occasion = sr.confirmed_at.isoformat() if kind == Kind.DIRECTOR else ""
        if (sr.school_id, occasion) not in sent:
            out.append((sr, occasion))
    return out


def _message(kind: str, round: Round, school, windows: CountWindows) -> tuple[str, str]:
    """Return one reminder's subject and body in Thai (templates/census/mail/<kind>_*.txt)."""
    context = {
        "school": school.name_th,
        "round": round,
        # Thai dates whatever language the worker's thread speaks (the texts are Thai first).
        "opens": be_date(windows.confirm_opens),
        "closes": be_date(windows.confirm_closes),
        "certify_closes": be_date(windows.certify_closes),
        "link": settings.VERIFY_BASE_URL.rstrip("/") + reverse("workflows:inbox"),
    }
    with override("th"):
        return mail_compose(f"census/mail/{kind}", context)


@in_thai
@transaction.atomic
def round_reminders_send(
    *, round: Round, kind: str, windows: CountWindows | None = None, schools: Q | None = None
) -> int:
    """Record and e-mail one kind of reminder to every school of a round that is due it (or to
    those of ``schools``, a group of area offices with their own ``windows``), once each; return
    how many schools were reminded."""
    Round.objects.select_for_update().filter(pk=round.pk).first()  # one sender at a time
    pending = _pending(round, kind, schools or Q())
    if not pending:
        return 0
    roles = (Role.DIRECTOR,) if kind == Kind.DIRECTOR else (Role.STAFF, Role.DIRECTOR)
    emails = schools_emails(school_ids=[sr.school_id for sr, _o in pending], roles=roles)
    reminders, messages = [], []
    for sr, occasion in pending:
        to = emails.get(sr.school_id, [])
        reminders.append(
            AutomaticReminder(round=round, school_id=sr.school_id, kind=kind,
                              occasion=occasion, recipients=len(to))
        )  # fmt: skip
        if to:
            messages.append((*_message(kind, round, sr.school, windows or round), to))
    AutomaticReminder.objects.bulk_create(reminders, batch_size=2000)
    for subject, body, to in messages:
        mail_queue(subject=subject, body=body, recipients=to)
    return len(reminders)


def reminders_due(*, at: datetime | None = None) -> dict[str, int]:
    """Send every reminder due at a moment, round by round; return how many of each kind."""
    now = at or timezone.now()
    sent: dict[str, int] = defaultdict(int)
    rounds = Round.objects.filter(
        confirm_opens__lte=now + timedelta(days=2), certify_closes__gt=now, opened_at__isnull=False
    ).select_related("academic_year")
    for round in rounds:
        for windows, schools in window_groups(round):
            for kind in due_kinds(windows, now):
                if n := round_reminders_send(
                    round=round, kind=kind, windows=windows, schools=schools
                ):
                    sent[str(kind)] += n
    return dict(sent)


def window_groups(round: Round) -> list[tuple[CountWindows, Q]]:
    """Return the round's windows with the schools that use them (those of area offices without
    their own), then each group of area offices sharing their own windows with their schools."""
    own: dict[tuple, list[AreaWindow]] = {}
    for window in AreaWindow.objects.filter(round=round).order_by("confirm_opens", "pk"):
        times = (
            window.confirm_opens,
            window.confirm_closes,
            window.certify_opens,
            window.certify_closes,
        )
        own.setdefault(times, []).append(window)
    staggered = [w.area_office_id for group in own.values() for w in group]
    groups = [(round, ~Q(school__area_office__in=staggered))]
    for group in own.values():
        groups.append((group[0], Q(school__area_office__in=[w.area_office_id for w in group])))
    return groups
