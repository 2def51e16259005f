"""The count's parts of the roster's pages (the home page, a school's roster): the rounds, their
deadlines and the rollover review, supplied here because the roster's views may not import us."""

from django import template

from ..deadlines import next_deadlines
from ..rollover import review_year
from ..selectors import school_rounds_latest

register = template.Library()


@register.simple_tag
def next_deadlines_for(user, limit=3):
    """Return the user's next deadlines, soonest end first."""
    return next_deadlines(user=user, limit=limit)


@register.simple_tag
def rollover_year_for(memberships):
    """Return the year schools review their lists for, when one of the memberships is at a school
    (no query otherwise)."""
    return review_year() if any(m.school_id for m in memberships) else None


@register.simple_tag
def school_rounds_of(school):
    """Return the school's latest count rounds with their state (one query)."""
    return school_rounds_latest(school=school)


@register.simple_tag
def roster_locked_in(school_rounds):
    """Return whether one of the school rounds freezes the roster for the director's decision."""
    return any(sr.roster_locked for sr in school_rounds)
