from celery import shared_task

from .permissions import sync_all_permissions


@shared_task
def sync_membership_permissions() -> int:
    """Grant and revoke object permissions for memberships that start or end today."""
    return sync_all_permissions()
