from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("verify/<uuid:public_id>/", views.VerifyView.as_view(), name="verify"),
    path(
        "documents/<uuid:public_id>/download/",
        views.DocumentDownloadView.as_view(),
        name="download",
    ),
    path(
        "schools/<str:code>/documents/",
        views.SchoolDocumentsView.as_view(),
        name="school_list",
    ),
]
