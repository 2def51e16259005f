from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.utils.translation import gettext_lazy as _

from accounts.permissions import can_administer


class OpenDMCAdminSite(admin.AdminSite):
    """Admin site for the ministry admin (สพฐ.); the right comes from a membership, not a model grant."""

    site_header = _("OpenDMC administration")
    site_title = _("OpenDMC")
    index_title = _("Ministry administration")

    def login(self, request, extra_context=None):
        """Sign in on the site's own login page where passwords are turned off (ThaiD only)."""
        if not settings.PASSWORD_LOGIN_ENABLED:
            return redirect_to_login(request.GET.get("next", "/admin/"))
        return super().login(request, extra_context)

    def has_permission(self, request):
        return can_administer(request.user)
