from django.contrib.admin.apps import AdminConfig


class OpenDMCAdminConfig(AdminConfig):
    """Use the OpenDMC admin site, open to ministry admins only."""

    default_site = "config.admin.OpenDMCAdminSite"
