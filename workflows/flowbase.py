"""What every OpenDMC flow shares: row locks, pages scoped by school, management by the ministry."""

from django.utils import timezone
from viewflow.workflow import lock

from accounts.permissions import can_administer, can_view_request, can_view_school


def process_deadline(activation):
    """Return the process's deadline: the moment its waiting steps time out."""
    return activation.process.deadline


def process_deadline_passed(activation) -> bool:
    """Return whether the process's deadline (as it stands now, perhaps moved) has passed."""
    return timezone.now() >= activation.process.deadline


class SchoolScopedFlowMixin:
    """Mix into a Flow whose process has a ``school``: its pages are for that school and its area
    office; cancel, undo and revive are for the ministry admin only."""

    lock_impl = lock.select_for_update_lock

    def has_view_permission(self, user, obj=None):
        """Let any signed-in user reach the flow's pages; every list and detail is scoped by school."""
        if obj is None:
            return user.is_authenticated
        return can_view_school(user, obj.coerced.school)

    def has_manage_permission(self, user, obj=None):
        """Only the ministry admin cancels, undoes or revives steps."""
        return can_administer(user)


class RequestScopedFlowMixin(SchoolScopedFlowMixin):
    """Mix into an approval request's Flow: its pages are for the request's parties
    (accounts.permissions.can_view_request: the school, and for a transfer the releasing school,
    for a citizen-ID correction its e-mailed approvers)."""

    def has_view_permission(self, user, obj=None):
        if obj is not None:
            return can_view_request(user, obj.coerced)
        return super().has_view_permission(user, obj)
