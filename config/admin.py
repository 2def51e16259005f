from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class OpenDMCAdminSite(admin.AdminSite):
    """Admin site for the ministry admin (สพฐ.); the right comes from a membership, not a model grant."""

    site_header = _("OpenDMC administration")
    site_title = _("OpenDMC")
    index_title = _("Ministry administration")

    def has_permission(self, request):
        from accounts.permissions import can_administer

        return can_administer(request.user)
