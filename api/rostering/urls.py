"""/ims/oneroster/rostering/v1p2/: OneRoster 1.2 Rostering, read-only (no trailing slashes, as the
standard writes its paths)."""

from django.urls import path

from . import views

app_name = "oneroster"

urlpatterns = [
    path("orgs", views.OrgListView.as_view(), name="orgs"),
    path("orgs/<str:sourced_id>", views.OrgView.as_view(), name="org"),
    path("schools", views.SchoolListView.as_view(), name="schools"),
    path("schools/<str:sourced_id>", views.SchoolView.as_view(), name="school"),
    path(
        "schools/<str:sourced_id>/classes",
        views.SchoolClassesView.as_view(),
        name="school_classes",
    ),
    path(
        "schools/<str:sourced_id>/enrollments",
        views.SchoolEnrollmentsView.as_view(),
        name="school_enrollments",
    ),
    path(
        "schools/<str:sourced_id>/students",
        views.SchoolStudentsView.as_view(),
        name="school_students",
    ),
    path("academicSessions", views.SessionListView.as_view(), name="academic_sessions"),
    path(
        "academicSessions/<str:sourced_id>",
        views.SessionView.as_view(),
        name="academic_session",
    ),
    path("users", views.UserListView.as_view(), name="users"),
    path("users/<str:sourced_id>", views.UserView.as_view(), name="user"),
    path("students", views.UserListView.as_view(), name="students"),
    path("students/<str:sourced_id>", views.UserView.as_view(), name="student"),
    path("classes", views.ClassListView.as_view(), name="classes"),
    path("classes/<str:sourced_id>", views.ClassView.as_view(), name="class"),
    path(
        "classes/<str:sourced_id>/students",
        views.ClassStudentsView.as_view(),
        name="class_students",
    ),
    path("enrollments", views.EnrollmentListView.as_view(), name="enrollments"),
    path("enrollments/<str:sourced_id>", views.EnrollmentView.as_view(), name="enrollment"),
]
