from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from . import views


class BuildingsApp(Application):
    """B-OBEC: the building register, the area dashboard and the budget-request lists."""

    title = _("Buildings (B-OBEC)")
    icon = "domain"
    app_name = "buildings"
    menu_template_name = None  # the site menu lists every page

    index_path = path("", views.IndexView.as_view(), name="index")
    budget_path = path("budget/", views.NationalBudgetView.as_view(), name="budget")
    budget_xlsx_path = path(
        "budget.xlsx", views.NationalBudgetExportView.as_view(), name="budget_xlsx"
    )
    progress_path = path(
        "areas/<str:code>/progress/", views.ProgressView.as_view(), name="progress"
    )
    remind_path = path("areas/<str:code>/remind/", views.RemindView.as_view(), name="remind")
    area_budget_path = path(
        "areas/<str:code>/budget/", views.AreaBudgetView.as_view(), name="area_budget"
    )
    area_budget_xlsx_path = path(
        "areas/<str:code>/budget.xlsx",
        views.AreaBudgetExportView.as_view(),
        name="area_budget_xlsx",
    )
    area_budget_sign_path = path(
        "areas/<str:code>/budget/sign/", views.AreaBudgetSignView.as_view(), name="area_budget_sign"
    )
    register_path = path("<str:code>/", views.RegisterView.as_view(), name="register")
    add_path = path("<str:code>/add/", views.BuildingAddView.as_view(), name="add")
    land_path = path("<str:code>/land/", views.LandView.as_view(), name="land")
    edit_path = path("<str:code>/<int:pk>/edit/", views.BuildingEditView.as_view(), name="edit")
    delete_path = path(
        "<str:code>/<int:pk>/delete/", views.BuildingDeleteView.as_view(), name="delete"
    )
    photos_path = path(
        "<str:code>/<int:pk>/photos/", views.PhotoUploadView.as_view(), name="photos"
    )
    photo_path = path(
        "<str:code>/photos/<uuid:public_id>/", views.PhotoView.as_view(), name="photo"
    )
