from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from . import dashboard_views, report_views, views


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
    feed_manage_path = path(
        "calendar-link/", views.CalendarFeedManageView.as_view(), name="feed_manage"
    )
    feed_path = path("calendar/<str:token>.ics", views.CalendarFeedView.as_view(), name="feed")
    rollover_review_path = path(
        "rollover/<str:code>/", views.RolloverReviewView.as_view(), name="rollover_review"
    )
    rollover_start_path = path(
        "years/<int:pk>/rollover/", views.RolloverStartView.as_view(), name="rollover_start"
    )
    reports_path = path("reports/", report_views.CountsReportView.as_view(), name="reports")
    report_changes_path = path(
        "reports/changes/", report_views.ChangesReportView.as_view(), name="report_changes"
    )
    report_allocation_path = path(
        "reports/allocation/", report_views.AllocationReportView.as_view(), name="report_allocation"
    )
    report_nutrition_path = path(
        "reports/nutrition/", report_views.NutritionReportView.as_view(), name="report_nutrition"
    )
    report_missing_path = path(
        "reports/missing/", report_views.MissingReportView.as_view(), name="report_missing"
    )
    area_statement_path = path(
        "reports/allocation/statement/",
        report_views.AreaStatementView.as_view(),
        name="area_statement",
    )
    school_allocation_path = path(
        "allocation/<str:code>/<int:year>/<int:term>/",
        report_views.SchoolAllocationView.as_view(),
        name="school_allocation",
    )
    national_dashboard_path = path(
        "dashboard/", dashboard_views.NationalDashboardView.as_view(), name="national_dashboard"
    )
    area_dashboard_path = path(
        "areas/<str:code>/dashboard/",
        dashboard_views.AreaDashboardView.as_view(),
        name="area_dashboard",
    )
    area_remind_path = path(
        "areas/<str:code>/dashboard/remind/",
        dashboard_views.AreaRemindView.as_view(),
        name="area_remind",
    )
    rates_path = path("rates/", report_views.RateListView.as_view(), name="rates")
    rate_create_path = path("rates/new/", report_views.RateFormView.as_view(), name="rate_create")
    rate_edit_path = path("rates/<int:pk>/", report_views.RateFormView.as_view(), name="rate_edit")
