from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from . import register_views, roster_views, views


class SchoolsApp(Application):
    """The roster pages and the DMC data-entry menus, inside the viewflow shell."""

    title = _("Schools")
    icon = "school"
    app_name = "schools"
    menu_template_name = None  # the site menu lists every page

    index_path = path("", views.SchoolListView.as_view(), name="index")
    # Before the school pages: "register/" is not a school code (10 digits).
    school_list_path = path(
        "register/", register_views.SchoolListUploadView.as_view(), name="school_list"
    )
    school_list_preview_path = path(
        "register/<uuid:public_id>/",
        register_views.SchoolListPreviewView.as_view(),
        name="school_list_preview",
    )
    school_list_apply_path = path(
        "register/<uuid:public_id>/apply/",
        register_views.SchoolListApplyView.as_view(),
        name="school_list_apply",
    )
    roster_path = path("<str:code>/", views.RosterView.as_view(), name="roster")
    export_path = path("<str:code>/export.xlsx", views.RosterExportView.as_view(), name="export")
    validation_path = path(
        "<str:code>/validation/", views.ValidationView.as_view(), name="validation"
    )
    add_path = path("<str:code>/learners/add/", views.StudentAddView.as_view(), name="add")
    add_gcode_path = path(
        "<str:code>/learners/add-gcode/", views.StudentAddView.as_view(gcode=True), name="add_gcode"
    )
    gcode_register_path = path(
        "<str:code>/gcodes/", views.GCodeRegisterView.as_view(), name="gcode_register"
    )
    move_path = path("<str:code>/move/", views.BulkMoveView.as_view(), name="move")
    grid_path = path(
        "<str:code>/measurements/grid/", views.MeasurementGridView.as_view(), name="grid"
    )
    upload_path = path(
        "<str:code>/measurements/upload/", views.MeasurementUploadView.as_view(), name="upload"
    )
    upload_status_path = path(
        "<str:code>/measurements/uploads/<uuid:public_id>/",
        views.MeasurementUploadStatusView.as_view(),
        name="upload_status",
    )
    upload_template_path = path(
        "<str:code>/measurements/template.xlsx",
        views.MeasurementTemplateView.as_view(),
        name="upload_template",
    )
    roster_import_path = path(
        "<str:code>/roster-file/", roster_views.RosterImportView.as_view(), name="roster_import"
    )
    roster_import_template_xlsx_path = path(
        "<str:code>/roster-file/template.xlsx",
        roster_views.RosterTemplateView.as_view(fmt="xlsx"),
        name="roster_import_template_xlsx",
    )
    roster_import_template_csv_path = path(
        "<str:code>/roster-file/template.csv",
        roster_views.RosterTemplateView.as_view(fmt="csv"),
        name="roster_import_template_csv",
    )
    roster_import_detail_path = path(
        "<str:code>/roster-files/<uuid:public_id>/",
        roster_views.RosterImportDetailView.as_view(),
        name="roster_import_detail",
    )
    area_roster_import_path = path(
        "area/<str:code>/roster-file/",
        roster_views.AreaRosterImportView.as_view(),
        name="area_roster_import",
    )
    area_roster_import_template_xlsx_path = path(
        "area/<str:code>/roster-file/template.xlsx",
        roster_views.AreaRosterTemplateView.as_view(fmt="xlsx"),
        name="area_roster_import_template_xlsx",
    )
    area_roster_import_template_csv_path = path(
        "area/<str:code>/roster-file/template.csv",
        roster_views.AreaRosterTemplateView.as_view(fmt="csv"),
        name="area_roster_import_template_csv",
    )
    area_roster_import_detail_path = path(
        "area/<str:code>/roster-files/<uuid:public_id>/",
        roster_views.AreaRosterImportDetailView.as_view(),
        name="area_roster_import_detail",
    )
    evidence_path = path(
        "<str:code>/evidence/<uuid:public_id>/",
        views.EvidenceDownloadView.as_view(),
        name="evidence",
    )
    student_path = path(
        "<str:code>/learners/<uuid:public_id>/", views.StudentView.as_view(), name="student"
    )
    transfer_out_path = path(
        "<str:code>/learners/<uuid:public_id>/transfer-out/",
        views.TransferOutView.as_view(),
        name="transfer_out",
    )
    class_path = path(
        "<str:code>/learners/<uuid:public_id>/class/", views.ClassEditView.as_view(), name="class"
    )
    name_path = path(
        "<str:code>/learners/<uuid:public_id>/name/", views.NameEditView.as_view(), name="name"
    )
    details_path = path(
        "<str:code>/learners/<uuid:public_id>/details/",
        views.DetailsEditView.as_view(),
        name="details",
    )
    measure_path = path(
        "<str:code>/learners/<uuid:public_id>/measurement/",
        views.MeasurementView.as_view(),
        name="measure",
    )
    evidence_upload_path = path(
        "<str:code>/learners/<uuid:public_id>/documents/",
        views.EvidenceUploadView.as_view(),
        name="evidence_upload",
    )
