from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Site

from buildings.viewsets import BuildingsApp
from census.viewsets import CensusApp
from config.health import health
from schools.views import HomeView
from schools.viewsets import SchoolsApp
from workflows.building_survey import BuildingSurveyFlow
from workflows.viewsets import FLOW_VIEWSETS, ScopedFlowViewset, WorkflowsApp


class OpenDMCSite(Site):
    title = _("OpenDMC")
    primary_color = "#1a3e72"
    secondary_color = "#c8102e"
    menu_template_name = "site_menu.html"

    index_path = path("", HomeView.as_view(), name="home")
    # Inside the site so that these pages get its menu and look; the paths stay /verify/<uuid>/ …
    urlpatterns = [path("", include("documents.urls")), path("help/", include("config.help"))]


site = OpenDMCSite(
    viewsets=[
        WorkflowsApp(),
        SchoolsApp(),
        CensusApp(),
        *FLOW_VIEWSETS,
        BuildingsApp(),
        ScopedFlowViewset(BuildingSurveyFlow, icon="domain"),
    ]
)

urlpatterns = [
    # Outside the site shell: no login, no menu, no data (load balancers and monitors).
    path("healthz/", health, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", site.urls),
]

# Our own pages in the user's language, without technical detail (config/errors.py).
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
