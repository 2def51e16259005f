"""The API's gate: a usable key, and the write scope for a write. Object rules stay in
accounts.permissions, asked by each view for its school or learner."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .models import ApiKey


class KeyScopes(BasePermission):
    """Let a key read; let it write only with the write scope."""

    message = _("This API key may only read.")

    def has_permission(self, request, view):
        if not isinstance(request.auth, ApiKey):
            return False
        return request.method in SAFE_METHODS or request.auth.can_write
