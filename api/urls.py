"""/api/v1/: the schema, its documentation page, and the API's routes."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView

from . import read_views, write_views
from .docs_views import ApiDocsView

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        ApiDocsView.as_view(url_name="api:schema", title=_("OpenDMC API")),
        name="docs",
    ),
    path("schools/", read_views.SchoolListView.as_view(), name="schools"),
    path("schools/<str:code>/", read_views.SchoolDetailView.as_view(), name="school"),
    # GET: the roster; POST: add a learner.
    path("schools/<str:code>/learners/", write_views.RosterView.as_view(), name="roster"),
    path(
        "schools/<str:code>/learners/<uuid:public_id>/class/",
        write_views.ClassEditView.as_view(),
        name="learner_class",
    ),
    path(
        "schools/<str:code>/learners/<uuid:public_id>/name/",
        write_views.NameEditView.as_view(),
        name="learner_name",
    ),
    path(
        "schools/<str:code>/learners/<uuid:public_id>/transfer-out/",
        write_views.TransferOutView.as_view(),
        name="learner_transfer_out",
    ),
    path(
        "schools/<str:code>/learners/<uuid:public_id>/dropout-requests/",
        write_views.DropoutRequestView.as_view(),
        name="dropout_request",
    ),
    path(
        "schools/<str:code>/learners/<uuid:public_id>/id-correction-requests/",
        write_views.IdCorrectionRequestView.as_view(),
        name="id_correction_request",
    ),
    path(
        "schools/<str:code>/measurements/",
        write_views.MeasurementsView.as_view(),
        name="measurements",
    ),
    path(
        "schools/<str:code>/transfer-requests/",
        write_views.TransferInView.as_view(),
        name="transfer_request",
    ),
    path(
        "schools/<str:code>/gcode-requests/",
        write_views.GCodeRequestView.as_view(),
        name="gcode_request",
    ),
    path(
        "schools/<str:code>/learners/<uuid:public_id>/",
        read_views.LearnerView.as_view(),
        name="learner",
    ),
    path("schools/<str:code>/records/", read_views.RecordListView.as_view(), name="records"),
    path(
        "schools/<str:code>/records/<uuid:public_id>/pdf/",
        read_views.RecordDownloadView.as_view(),
        name="record_download",
    ),
    path(
        "schools/<str:code>/subsidy/<int:year>/<int:term>/",
        read_views.SubsidyView.as_view(),
        name="subsidy",
    ),
    path("rounds/", read_views.RoundListView.as_view(), name="rounds"),
    path(
        "rounds/<int:round_id>/schools/", read_views.RoundStatesView.as_view(), name="round_states"
    ),
    path(
        "rounds/<int:round_id>/counts/", read_views.RoundCountsView.as_view(), name="round_counts"
    ),
]
