from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from . import views


class CensusApp(Application):
    """Academic years, count rounds and their windows."""

    title = _("Count calendar")
    icon = "event"
    app_name = "census"
    menu_template_name = None

    index_path = path("", views.CalendarView.as_view(), name="index")
    year_create_path = path(
        "years/new/", views.AcademicYearCreateView.as_view(), name="year_create"
    )
    round_edit_path = path("rounds/<int:pk>/", views.RoundEditView.as_view(), name="round_edit")
