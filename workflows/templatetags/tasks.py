"""What waits for the signed-in user, for the pages of the apps below (they may not import us)."""

from django import template

from workflows.selectors import waiting_for

register = template.Library()


@register.simple_tag
def tasks_waiting_for(user):
    """Return the steps that wait for the user now (one query)."""
    return waiting_for(user=user)
