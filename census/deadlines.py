"""Each user's deadlines: the count rounds' windows, the ID-correction cut-offs and the B-OBEC survey,
as the user's roles meet them. The calendar page, the home page and the .ics feed read them here."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.permissions import memberships_for
from buildings.models import SurveyYear

from .models import Round

# Which deadlines each role meets. Area offices and the ministry watch every step.
KINDS_BY_ROLE = {
    Role.STAFF: {"confirm", "id_cutoff", "survey"},
    Role.DIRECTOR: {"certify", "survey"},
    Role.AREA_OFFICER: {"confirm", "certify", "id_cutoff", "survey"},
    Role.ID_APPROVER: {"id_cutoff"},
    Role.MINISTRY_ADMIN: {"confirm", "certify", "id_cutoff", "survey"},
}
# A cut-off is an instant; calendars show it as the half hour before it.
CUTOFF_SPAN = timedelta(minutes=30)


@dataclass(frozen=True)
class Deadline:
    """One dated step: its window (starts–ends), what to do, and where to do it."""

    uid: str
    kind: str
    title: Promise
    subject: str
    starts: datetime
    ends: datetime
    url: str

    def is_open(self, now: datetime) -> bool:
        """Return whether the step's window is open at a moment."""
        return self.starts <= now < self.ends


TITLES = {
    "confirm": _("Staff confirm the learners"),
    "certify": _("The director certifies the learners"),
    "id_cutoff": _("Citizen-ID corrections close"),
    "survey": _("B-OBEC building survey"),
}


def kinds_for(user: User) -> set[str]:
    """Return the kinds of deadline the user's roles in force meet."""
    kinds: set[str] = set()
    for membership in memberships_for(user):
        kinds |= KINDS_BY_ROLE.get(membership.role, set())
    return kinds


def _round_deadlines(rounds, kinds: set[str]) -> list[Deadline]:
    out = []
    for r in rounds:
        subject = str(r)  # "2569/2", "(demo)" added for a demo round
        url = reverse("census:index")
        if "confirm" in kinds:
            out.append(Deadline(f"round-{r.pk}-confirm", "confirm", TITLES["confirm"], subject,
                                r.confirm_opens, r.confirm_closes, url))  # fmt: skip
        if "certify" in kinds:
            out.append(Deadline(f"round-{r.pk}-certify", "certify", TITLES["certify"], subject,
                                r.certify_opens, r.certify_closes, url))  # fmt: skip
        if "id_cutoff" in kinds:
            out.append(Deadline(f"round-{r.pk}-id-cutoff", "id_cutoff", TITLES["id_cutoff"],
                                subject, r.id_correction_cutoff - CUTOFF_SPAN,
                                r.id_correction_cutoff, url))  # fmt: skip
    return out


def _survey_deadlines(since: datetime) -> list[Deadline]:
    url, title = reverse("buildings:index"), TITLES["survey"]
    surveys = SurveyYear.objects.filter(closes__gte=since).order_by("closes")
    return [
        Deadline(f"survey-{s.pk}", "survey", title, str(s.year), s.opens, s.closes, url)
        for s in surveys
    ]


def deadlines_for(*, user: User, since: datetime | None = None) -> list[Deadline]:
    """Return the user's deadlines that end at or after a moment (a year ago by default),
    soonest first."""
    since = since or timezone.now() - timedelta(days=366)
    kinds = kinds_for(user)
    if not kinds:
        return []
    rounds = Round.objects.filter(certify_closes__gte=since).select_related("academic_year")
    out = _round_deadlines(rounds, kinds)
    if "survey" in kinds:
        out += _survey_deadlines(since)
    return sorted(out, key=lambda d: (d.ends, d.starts, d.uid))


def next_deadlines(*, user: User, now: datetime | None = None, limit: int = 3) -> list[Deadline]:
    """Return the user's next deadlines: those not yet over, soonest end first."""
    now = now or timezone.now()
    return [d for d in deadlines_for(user=user, since=now) if d.ends > now][:limit]
