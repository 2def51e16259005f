"""Reminders the system sends by itself (Celery beat): schools not yet confirmed are e-mailed the day
before the count day and at 14:30 on it; a director is e-mailed when a confirmation waits.

Each (round, school, occasion) is e-mailed once: the round's row is locked while the reminders are
recorded, and the e-mails leave after the commit."""

from collections import defaultdict
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.models import Membership, Role
from accounts.tasks import mail_queue
from schools.templatetags.thai import be_date, in_thai

from .models import AutomaticReminder, Round, SchoolRound

DAY_BEFORE_AT = time(9, 0)
# 14:30 on a count day whose window closes at 16:30.
AFTERNOON_BEFORE_CLOSE = timedelta(hours=2)
NOT_CONFIRMED = (SchoolRound.State.NOT_STARTED, SchoolRound.State.PREPARED)
Kind = AutomaticReminder.Kind


def _day_before_at(round: Round) -> datetime:
    opens = timezone.localtime(round.confirm_opens)
    day = opens.date() - timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, DAY_BEFORE_AT))


def due_kinds(round: Round, now: datetime) -> list[str]:
    """Return the reminders due for a round at a moment."""
    kinds = []
    if _day_before_at(round) <= now < round.confirm_opens:
        kinds.append(Kind.DAY_BEFORE)
    if round.confirm_closes - AFTERNOON_BEFORE_CLOSE <= now < round.confirm_closes:
        kinds.append(Kind.AFTERNOON)
    if round.certify_opens <= now < round.certify_closes:
        kinds.append(Kind.DIRECTOR)
    return kinds


def _pending(round: Round, kind: str):
    states = (SchoolRound.State.CONFIRMED,) if kind == Kind.DIRECTOR else NOT_CONFIRMED
    rows = SchoolRound.objects.filter(round=round, state__in=states).select_related("school")
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


def _emails(round: Round, school_ids: list[int], roles) -> dict[int, list[str]]:
    """Return the e-mail addresses of the schools' people in the roles (one query)."""
    out = defaultdict(list)
    rows = (
        Membership.objects.active()
        .filter(role__in=roles, school__school_rounds__round=round, school_id__in=school_ids)
        .exclude(user__email="")
        .filter(user__is_active=True)
        .values_list("school_id", "user__email")
        .order_by("school_id", "user__email")
        .distinct()
    )
    for school_id, email in rows:
        out[school_id].append(email)
    return out


def _message(kind: str, round: Round, school) -> tuple[str, str]:
    link = settings.VERIFY_BASE_URL.rstrip("/") + reverse("workflows:inbox")
    values = {
        "school": school.name_th,
        "round": round,
        # Thai dates whatever language the worker's thread speaks (the texts are Thai first).
        "opens": be_date(round.confirm_opens),
        "closes": be_date(round.confirm_closes),
        "certify_closes": be_date(round.certify_closes),
        "link": link,
    }
    with override("th"):
        if kind == Kind.DAY_BEFORE:
            subject = _("Tomorrow is count day, round %(round)s")
            body = _(
                "%(school)s: tomorrow staff confirm the learners between %(opens)s and "
                "%(closes)s. Please check the data is ready.\n\n%(link)s"
            )
        elif kind == Kind.AFTERNOON:
            subject = _("Not yet confirmed: round %(round)s")
            body = _(
                "%(school)s has not confirmed its learners; the window closes %(closes)s.\n\n"
                "%(link)s"
            )
        else:
            subject = _("Waiting for your certification: round %(round)s")
            body = _(
                "The staff of %(school)s have confirmed the learners; please certify by "
                "%(certify_closes)s.\n\n%(link)s"
            )
    return subject % values, body % values


@in_thai
@transaction.atomic
def round_reminders_send(*, round: Round, kind: str) -> int:
    """Record and e-mail one kind of reminder to every school of a round that is due it, once
    each; return how many schools were reminded."""
    Round.objects.select_for_update().filter(pk=round.pk).first()  # one sender at a time
    pending = _pending(round, kind)
    if not pending:
        return 0
    roles = (Role.DIRECTOR,) if kind == Kind.DIRECTOR else (Role.STAFF, Role.DIRECTOR)
    emails = _emails(round, [sr.school_id for sr, _o in pending], roles)
    reminders, messages = [], []
    for sr, occasion in pending:
        to = emails.get(sr.school_id, [])
        reminders.append(
            AutomaticReminder(round=round, school_id=sr.school_id, kind=kind,
                              occasion=occasion, recipients=len(to))
        )  # fmt: skip
        if to:
            messages.append((*_message(kind, round, sr.school), to))
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
        for kind in due_kinds(round, now):
            if n := round_reminders_send(round=round, kind=kind):
                sent[str(kind)] += n
    return dict(sent)
