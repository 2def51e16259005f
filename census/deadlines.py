"""Each user's deadlines: the count rounds' windows, the ID-correction cut-offs and the B-OBEC survey,
as the user's roles meet them. The calendar page, the home page and the .ics feed read them here."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.permissions import memberships_for
from buildings.models import SurveyYear

from .models import AreaWindow, Round

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
    return _kinds_and_areas(user)[0]


def _kinds_and_areas(user: User) -> tuple[set[str], set[int]]:
    """Return the kinds of deadline the user's roles meet and the area offices they work in."""
    kinds: set[str] = set()
    areas: set[int] = set()
    for membership in memberships_for(user):
        kinds |= KINDS_BY_ROLE.get(membership.role, set())
        area_id = membership.area_office_id or (
            membership.school and membership.school.area_office_id
        )
        if area_id:
            areas.add(area_id)
    return kinds, areas


def _windows_by_round(rounds, areas: set[int]) -> dict[int, list]:
    """Return, per round, the windows the user's area offices work in: their own where the round
    is staggered, and the round's when one of them has none (or the user has no area office)."""
    own: dict[int, list[AreaWindow]] = {}
    if areas and rounds:
        for window in AreaWindow.objects.filter(
            round__in=rounds, area_office__in=areas
        ).select_related("area_office"):
            own.setdefault(window.round_id, []).append(window)
    out = {}
    for r in rounds:
        windows = sorted(own.get(r.pk, []), key=lambda w: (w.confirm_opens, w.area_office.code))
        distinct = list({(w.confirm_opens, w.confirm_closes, w.certify_opens, w.certify_closes): w
                         for w in windows}.values())  # fmt: skip
        out[r.pk] = distinct + ([r] if len(windows) < len(areas) or not areas else [])
    return out


def _round_deadlines(rounds, kinds: set[str], areas: set[int]) -> list[Deadline]:
    out = []
    windows_by_round = _windows_by_round(rounds, areas)
    for r in rounds:
        url = reverse("census:index")
        for windows in windows_by_round[r.pk]:
            subject, uid = str(r), f"round-{r.pk}"  # "2569/2", "(demo)" added for a demo round
            if isinstance(windows, AreaWindow):  # the area office's own part of the count day
                subject = gettext_now("%(round)s, area office %(code)s") % {
                    "round": r,
                    "code": windows.area_office.code,
                }
                uid = f"round-{r.pk}-area-{windows.area_office.code}"
            if "confirm" in kinds:
                out.append(Deadline(f"{uid}-confirm", "confirm", TITLES["confirm"], subject,
                                    windows.confirm_opens, windows.confirm_closes, url))  # fmt: skip
            if "certify" in kinds:
                out.append(Deadline(f"{uid}-certify", "certify", TITLES["certify"], subject,
                                    windows.certify_opens, windows.certify_closes, url))  # fmt: skip
        if "id_cutoff" in kinds:
            out.append(Deadline(f"round-{r.pk}-id-cutoff", "id_cutoff", TITLES["id_cutoff"],
                                str(r), r.id_correction_cutoff - CUTOFF_SPAN,
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
    kinds, areas = _kinds_and_areas(user)
    if not kinds:
        return []
    rounds = list(Round.objects.filter(certify_closes__gte=since).select_related("academic_year"))
    out = _round_deadlines(rounds, kinds, areas)
    if "survey" in kinds:
        out += _survey_deadlines(since)
    return sorted(out, key=lambda d: (d.ends, d.starts, d.uid))


def next_deadlines(*, user: User, now: datetime | None = None, limit: int = 3) -> list[Deadline]:
    """Return the user's next deadlines: those not yet over, soonest end first."""
    now = now or timezone.now()
    return [d for d in deadlines_for(user=user, since=now) if d.ends > now][:limit]
