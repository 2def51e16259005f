from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from . import people_views as views
from .second_factor_views import SecondFactorResetView


class PeopleApp(Application):
    """Who holds which role where, kept by the area offices and the ministry."""

    title = _("People and roles")
    icon = "group"
    app_name = "people"
    menu_template_name = None

    index_path = path("", views.PeopleIndexView.as_view(), name="index")
    area_path = path("areas/<str:code>/", views.AreaPeopleView.as_view(), name="area")
    person_path = path("persons/<uuid:public_id>/", views.PersonView.as_view(), name="person")
    end_path = path(
        "persons/<uuid:public_id>/roles/<int:pk>/end/", views.EndRoleView.as_view(), name="end"
    )
    second_factor_reset_path = path(
        "persons/<uuid:public_id>/second-factor/reset/",
        SecondFactorResetView.as_view(),
        name="second_factor_reset",
    )
    invite_path = path("invite/", views.InviteView.as_view(), name="invite")
    bulk_path = path("invite/bulk/", views.BulkInviteView.as_view(), name="bulk")
    revoke_path = path(
        "invitations/<uuid:public_id>/withdraw/",
        views.InvitationActionView.as_view(action="revoke"),
        name="revoke",
    )
    resend_path = path(
        "invitations/<uuid:public_id>/resend/",
        views.InvitationActionView.as_view(action="resend"),
        name="resend",
    )
