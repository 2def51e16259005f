from django.contrib.admin.apps import AdminConfig
from django.contrib.staticfiles.apps import StaticFilesConfig


class OpenDMCAdminConfig(AdminConfig):
    """Use the OpenDMC admin site, open to ministry admins only."""

    default_site = "config.admin.OpenDMCAdminSite"


class OpenDMCStaticFilesConfig(StaticFilesConfig):
    """Collect static files without what viewflow's package ships for other projects.

    viewflow 2.4 carries a stray copy of roboto-fontface.css under node_modules/ whose fonts are
    not there (no page links it, but production's manifest storage refuses to collect it), and
    22 MB of Plotly Dash under js/contrib/dash/ for viewflow.contrib.plotly, which is not installed.
    """

    ignore_patterns = [*StaticFilesConfig.ignore_patterns, "node_modules", "dash"]
