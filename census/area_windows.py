"""Staggered count days: the ministry gives groups of area offices their own part of a round's
confirm and certify windows, so that the country's schools do not all confirm in the same hours.

An area office's own windows lie inside the round's (which hold every group, so the round opens
and closes as before); schools of an area office without its own use the round's windows. The
checks of each step (census.services.check_confirm_window, check_certify_window) read them, and
workflows.services.round_area_windows_change moves the open processes' deadlines with them.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from schools.models import AreaOffice, School
from schools.templatetags.thai import thai_date

from .models import WINDOW_TIMES, AreaWindow, Round, RoundChange

MAX_GROUPS = 12


@dataclass(frozen=True)
class WindowGroup:
    """Area offices that share the same windows in a round."""

    confirm_opens: datetime
    confirm_closes: datetime
    certify_opens: datetime
    certify_closes: datetime
    area_codes: tuple[str, ...]
    schools: int


def area_window_groups(*, round: Round) -> list[WindowGroup]:
    """Return the round's staggered windows grouped by their times, earliest first, with how many
    open schools each group holds (two queries)."""
    windows = list(
        AreaWindow.objects.filter(round=round)
        .select_related("area_office")
        .order_by("confirm_opens", "area_office__code")
    )
    schools = dict(
        School.objects.open()
        .filter(area_office__in=[w.area_office_id for w in windows])
        .values_list("area_office")
        .annotate(n=Count("pk"))
        .values_list("area_office", "n")
    )
    groups: dict[tuple, list[AreaWindow]] = {}
    for window in windows:
        groups.setdefault(tuple(getattr(window, name) for name in WINDOW_TIMES), []).append(window)
    return [
        WindowGroup(
            *times,
            area_codes=tuple(w.area_office.code for w in members),
            schools=sum(schools.get(w.area_office_id, 0) for w in members),
        )
        for times, members in groups.items()
    ]


def spread_plan(*, round: Round, groups: int) -> dict[int, dict[str, datetime]]:
    """Plan the round's windows for its area offices in ``groups`` consecutive parts of the day.

    The confirm window is cut into equal parts; each group's certify window is as long as its part
    and starts as long after it as the round's certification starts after confirmation (the last
    group keeps the round's certify close). Area offices are dealt to the groups, the largest first, each to the group with
    the fewest schools so far: each part of the day carries about the same number of schools.
    One group means no staggering (an empty plan).
    """
    if not 1 <= groups <= MAX_GROUPS:
        raise ValidationError(
            _("Choose between 1 and %(n)d groups.") % {"n": MAX_GROUPS}, code="groups"
        )
    if groups == 1:
        return {}
    part = (round.confirm_closes - round.confirm_opens) / groups
    certify_lag = max(round.certify_opens - round.confirm_opens, timedelta(0))
    times = []
    for index in range(groups):
        opens = round.confirm_opens + part * index
        closes = round.confirm_closes if index == groups - 1 else opens + part
        last = index == groups - 1
        times.append({
            "confirm_opens": opens,
            "confirm_closes": closes,
            "certify_opens": opens + certify_lag,
            "certify_closes": round.certify_closes if last else min(
                closes + certify_lag, round.certify_closes
            ),
        })  # fmt: skip
    sizes = (
        AreaOffice.objects.annotate(
            n=Count("schools", filter=Q(schools__status=School.Status.OPEN))
        )
        .filter(n__gt=0)
        .order_by("-n", "code")
        .values_list("pk", "n")
    )
    load = [0] * groups
    plan = {}
    for area_id, n in sizes:
        group = load.index(min(load))
        load[group] += n
        plan[area_id] = times[group]
    return plan


def check_area_window(*, round: Round, times: dict[str, datetime]) -> list[str]:
    """Return what is wrong with an area office's windows: each must close after it opens,
    certification must close after confirmation opens, and both lie inside the round's windows."""
    problems = []
    for opens, closes in (("confirm_opens", "confirm_closes"), ("certify_opens", "certify_closes")):
        if times[opens] >= times[closes]:
            problems.append(_("The window must close after it opens."))
    if times["certify_closes"] < times["confirm_opens"]:
        problems.append(_("Certification must close after confirmation opens."))
    if not (
        round.confirm_opens <= times["confirm_opens"]
        and times["confirm_closes"] <= round.confirm_closes
    ):
        problems.append(_("An area office's confirm window must lie inside the round's."))
    if not (
        round.certify_opens <= times["certify_opens"]
        and times["certify_closes"] <= round.certify_closes
    ):
        problems.append(_("An area office's certify window must lie inside the round's."))
    return problems


def _check_change(*, before: dict, after: dict, at: datetime) -> list[str]:
    """What has passed stays as it was; a close cannot move into the past."""
    problems = []
    for name in WINDOW_TIMES:
        old, new = before[name], after[name]
        if old == new:
            continue
        if old <= at:
            problems.append(
                _("%(when)s has passed: this time can no longer change.") % {"when": thai_date(old)}
            )
        elif name.endswith("_closes") and new <= at:
            problems.append(
                _(
                    "This close would already have passed (it is %(now)s now): a window can only "
                    "be shortened to a time still ahead."
                )
                % {"now": thai_date(at)}
            )
    return problems


@transaction.atomic
def area_windows_replace(
    *,
    round: Round,
    actor: User | None,
    plan: dict[int, dict[str, datetime]],
    at: datetime | None = None,
) -> list[int]:
    """Give the area offices in the plan their own windows and every other area office the round's
    again, in one transaction, logged as a change of the round; return the area offices whose
    windows changed. Refused as a whole, naming each area office, when a window is wrong or would
    rewrite what has passed. Call it through workflows.services.round_area_windows_change, which
    moves the open processes' deadlines with it."""
    at = at or timezone.now()
    round = Round.objects.select_for_update().get(pk=round.pk)
    if round.closed_at is not None:
        raise ValidationError(_("This round has closed and cannot change."), code="closed")
    current = {w.area_office_id: w for w in AreaWindow.objects.filter(round=round)}
    codes = dict(AreaOffice.objects.filter(pk__in=[*plan, *current]).values_list("pk", "code"))
    round_times = {name: getattr(round, name) for name in WINDOW_TIMES}
    problems, changed = [], []
    for area_id in sorted(set(plan) | set(current), key=lambda pk: codes.get(pk, "")):
        own = current.get(area_id)
        before = {name: getattr(own, name) for name in WINDOW_TIMES} if own else round_times
        after = plan.get(area_id, round_times)
        found = _check_change(before=before, after=after, at=at)
        if area_id in plan:
            found = check_area_window(round=round, times=after) + found
        problems += [f"{codes.get(area_id, area_id)}: {problem}" for problem in found]
        if after != before or (own is None) != (area_id not in plan):
            changed.append(area_id)
    if problems:
        raise ValidationError(problems, code="area_windows")
    if not changed:
        return []
    AreaWindow.objects.filter(round=round).exclude(area_office__in=list(plan)).delete()
    AreaWindow.objects.bulk_create(
        [
            AreaWindow(round=round, area_office_id=area_id, **times)
            for area_id, times in plan.items()
        ],
        update_conflicts=True,
        unique_fields=["round", "area_office"],
        update_fields=list(WINDOW_TIMES),
    )
    RoundChange.objects.create(
        round=round,
        changed_by=actor,
        before=_logged({a: current.get(a) for a in changed}, codes),
        after=_logged({a: plan.get(a) for a in changed}, codes),
    )
    return changed


def _logged(windows: dict, codes: dict) -> dict:
    """The log's form of area windows: "<field>@<area code>" → ISO 8601 moment, or "" where the
    area office had (or now has) the round's windows."""
    logged = {}
    for area_id, times in windows.items():
        for name in WINDOW_TIMES:
            value = (
                None
                if times is None
                else (times[name] if isinstance(times, dict) else getattr(times, name))
            )
            logged[f"{name}@{codes[area_id]}"] = (
                timezone.localtime(value).isoformat() if value else ""
            )
    return logged


def area_windows_follow(*, round: Round, after: dict) -> None:
    """Keep a round's staggered windows with the round the ministry changes (locked by the
    caller): a moved as-of date moves them, at the same Bangkok clock time; the change is refused,
    naming each area office, when one would fall outside the round's new windows."""
    windows = list(AreaWindow.objects.filter(round=round).select_related("area_office"))
    days = after["as_of"] - round.as_of
    envelope = Round(**{name: after[name] for name in WINDOW_TIMES})
    problems = []
    for window in windows:
        for name in WINDOW_TIMES:
            local = timezone.localtime(getattr(window, name))
            moved = timezone.make_aware(datetime.combine(local.date() + days, local.time()))
            setattr(window, name, moved)
        times = {name: getattr(window, name) for name in WINDOW_TIMES}
        problems += [
            f"{window.area_office.code}: {problem}"
            for problem in check_area_window(round=envelope, times=times)
        ]
    if problems:
        raise ValidationError(problems, code="area_windows")
    if days:
        AreaWindow.objects.bulk_update(windows, list(WINDOW_TIMES))
