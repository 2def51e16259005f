from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from . import views


class SchoolsApp(Application):
    """The roster pages, inside the viewflow shell."""

    title = _("Schools")
    icon = "school"
    app_name = "schools"
    menu_template_name = "schools/menu.html"

    index_path = path("", views.SchoolListView.as_view(), name="index")
    roster_path = path("<str:code>/", views.RosterView.as_view(), name="roster")
    student_path = path(
        "<str:code>/learners/<uuid:public_id>/", views.StudentView.as_view(), name="student"
    )
