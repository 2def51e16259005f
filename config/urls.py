from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Site

from accounts.invitation_views import InvitationAcceptView
from accounts.oidc_views import OIDCCallbackView, OIDCLoginView
from accounts.views import LoginView, LogoutView, language_switch
from accounts.viewsets import PeopleApp
from api.key_views import ApiKeyRevokeView, ApiKeysView
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
    urlpatterns = [
        path("", include("documents.urls")),
        path("help/", include("config.help")),
        path("accounts/", include("accounts.urls")),
        path("api-keys/", ApiKeysView.as_view(), name="api_keys"),
        path(
            "api-keys/<uuid:public_id>/revoke/", ApiKeyRevokeView.as_view(), name="api_key_revoke"
        ),
    ]


site = OpenDMCSite(
    viewsets=[
        WorkflowsApp(),
        SchoolsApp(),
        CensusApp(),
        PeopleApp(),
        *FLOW_VIEWSETS,
        BuildingsApp(),
        ScopedFlowViewset(BuildingSurveyFlow, icon="domain"),
    ]
)

urlpatterns = [
    # Outside the site shell: no login, no menu, no data (load balancers and monitors).
    path("healthz/", health, name="healthz"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    # Sign-in with ThaiD (OpenID Connect): 404 unless settings.OIDC_ISSUER and OIDC_CLIENT_ID are set.
    path("accounts/oidc/login/", OIDCLoginView.as_view(), name="oidc_login"),
    path("accounts/oidc/callback/", OIDCCallbackView.as_view(), name="oidc_callback"),
    # POST only; after a ThaiD sign-in it goes on to the provider's end_session_endpoint.
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    # Django's language switch, which also saves a signed-in person's choice to their profile.
    path("i18n/setlang/", language_switch, name="set_language"),
    # Public: the e-mailed invitation link (its token is the only key; the person may have no login).
    path(
        "accounts/invitation/<str:token>/",
        InvitationAcceptView.as_view(),
        name="invitation_accept",
    ),
    path("admin/", admin.site.urls),
    # The API for schools' and area offices' systems: API keys, no session (api/).
    path("api/v1/", include("api.urls")),
    # OneRoster 1.2 Rostering (read-only) for the same keys (api/rostering/).
    path("ims/oneroster/rostering/v1p2/", include("api.rostering.urls")),
    path("", site.urls),
]

# Our own pages in the user's language, without technical detail (config/errors.py).
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
