"""Flows inside the viewflow shell, with every list and detail scoped by school.

Every flow's process model has a ``school`` foreign key; ``ScopedFlowViewset(MyFlow)`` mounts the
flow's pages (dashboard, process and task lists, details, inbox/queue/archive, chart) so that a user
sees only the processes of the schools they may see.
"""

from datetime import date

from django.db.models import Q
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow import viewprop
from viewflow.urls import Application
from viewflow.workflow.flow import FlowAppViewset
from viewflow.workflow.flow.views import (
    DashboardProcessListView,
    DashboardTaskListView,
    DashboardView,
    DetailProcessView,
    FlowArchiveListView,
    FlowChartView,
    FlowInboxListView,
    FlowQueueListView,
    filters,
)
from viewflow.workflow.flow.views.dashboard import get_task_ref

from accounts.permissions import schools_visible_to
from schools.templatetags.thai import thai_date

from . import request_views, round_views, views
from .approvals import DropoutFlow, GCodeFlow, IdCorrectionFlow, TransferFlow
from .certification import CertificationFlow


class ScopedDashboardView(DashboardView):
    """The flow's kanban, showing only the tasks of schools the user may see."""

    MAX_ROWS = 26

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        visible = schools_visible_to(self.request.user)
        school = f"process__{self.flow_class.process_class._meta.model_name}__school__in"
        tasks = self.flow_class.task_class.objects.filter(
            process__flow_class=self.flow_class, **{school: visible}
        ).select_related("process", "owner")
        for column in context["columns"]:
            column["node_ref"] = get_task_ref(column["node"])
            column["tasks"] = tasks.filter(
                Q(finished__isnull=True) | Q(status="ERROR"), flow_task=column["node"]
            )[: self.MAX_ROWS]
        context["finished"] = tasks.filter(
            finished__isnull=False, flow_task__in=context["end_nodes"]
        )[: self.MAX_ROWS]
        return context


class ReadersListMixin:
    """A viewflow list in the reader's words: dates as thai_date shows them (Django's own format
    gives the Christian year), each step by its title (viewflow shows the node's Python name,
    "Record Acknowledgement"), and column headers of our own (viewflow makes "Brief", "Process
    summary" and "Active tasks" from method names, out of reach of any catalogue)."""

    def format_value(self, obj, column, value):
        if isinstance(value, date):
            value = thai_date(value)
        return super().format_value(obj, column, value)

    def flow_task(self, task):
        return task.flow_task.task_title

    flow_task.short_description = _("Step")

    def task_title(self, task):
        return task.title or task.flow_task.task_title

    task_title.short_description = _("Step")

    def brief(self, obj):
        return obj.brief

    brief.short_description = _("Summary")

    def process_summary(self, task):
        return task.process.coerced.brief

    process_summary.short_description = _("Request")

    def process_id(self, process):
        return super().process_id(process)

    process_id.short_description = _("No.")

    def active_tasks(self, process):
        return process.active_tasks_count

    active_tasks.short_description = _("Open steps")


def task_choices(queryset) -> list[tuple[str, str]]:
    """The steps a task filter offers, by their titles."""
    nodes = queryset.order_by("flow_task").values_list("flow_task", flat=True).distinct()
    return [
        (get_task_ref(node), f"{node.flow_class.process_title} · {node.task_title}")
        for node in nodes
    ]


class StepTitlesFilterMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["flow_task"].field.choices = task_choices(self.queryset)


class UserTaskFilter(StepTitlesFilterMixin, filters.FlowUserTaskListFilter):
    pass


class ArchiveFilter(StepTitlesFilterMixin, filters.FlowArchiveListFilter):
    pass


class TaskListFilter(StepTitlesFilterMixin, filters.DashboardTaskListViewFilter):
    pass


class ScopedProcessListView(ReadersListMixin, DashboardProcessListView):
    def get_queryset(self):
        visible = schools_visible_to(self.request.user)
        return super().get_queryset().filter(school__in=visible).order_by("-pk")


class ScopedProcessDetailView(DetailProcessView):
    def get_queryset(self):
        return super().get_queryset().filter(school__in=schools_visible_to(self.request.user))


class ScopedTaskListView(ReadersListMixin, DashboardTaskListView):
    filterset_class = TaskListFilter

    @viewprop
    def queryset(self):
        school = f"process__{self.flow_class.process_class._meta.model_name}__school__in"
        return super().queryset.filter(**{school: schools_visible_to(self.request.user)})


class ScopedChartView(FlowChartView):
    """The flow's chart; a process's chart (its progress) only for those who may see the process."""

    def dispatch(self, request, *args, **kwargs):
        process_pk = kwargs.get("process_pk")
        if process_pk is not None:
            process = self.flow_class.process_class.objects.filter(pk=process_pk).first()
            if process is None or not self.flow_class.instance.has_view_permission(
                request.user, process
            ):
                raise Http404
        return super().dispatch(request, *args, **kwargs)


class InboxListView(ReadersListMixin, FlowInboxListView):
    filterset_class = UserTaskFilter


class QueueListView(ReadersListMixin, FlowQueueListView):
    filterset_class = UserTaskFilter


class ArchiveListView(ReadersListMixin, FlowArchiveListView):
    filterset_class = ArchiveFilter


class ScopedFlowViewset(FlowAppViewset):
    dashboard_view_class = ScopedDashboardView
    process_list_view_class = ScopedProcessListView
    process_detail_view_class = ScopedProcessDetailView
    task_list_view_class = ScopedTaskListView
    chart_view_class = ScopedChartView
    inbox_view_class = InboxListView
    queue_view_class = QueueListView
    archive_view_class = ArchiveListView


class WorkflowsApp(Application):
    """The unified inbox and the ministry's revocation page."""

    title = _("My tasks")
    icon = "inbox"
    app_name = "workflows"
    menu_template_name = None

    index_path = path("", views.InboxView.as_view(), name="inbox")
    request_path = path(
        "requests/<str:kind>/<int:pk>/", request_views.RequestView.as_view(), name="request"
    )
    request_evidence_path = path(
        "requests/<str:kind>/<int:pk>/evidence/<uuid:public_id>/",
        request_views.RequestEvidenceView.as_view(),
        name="request_evidence",
    )
    school_requests_path = path(
        "schools/<str:code>/requests/",
        request_views.RequestListView.as_view(),
        name="school_requests",
    )
    transfer_in_path = path(
        "schools/<str:code>/transfer-in/",
        request_views.TransferInView.as_view(),
        name="transfer_in",
    )
    gcode_request_path = path(
        "schools/<str:code>/gcode/", request_views.GCodeRequestView.as_view(), name="gcode_request"
    )
    dropout_path = path(
        "schools/<str:code>/learners/<uuid:public_id>/dropout/",
        request_views.DropoutRequestView.as_view(),
        name="dropout_request",
    )
    id_correction_path = path(
        "schools/<str:code>/learners/<uuid:public_id>/id-correction/",
        request_views.IdCorrectionRequestView.as_view(),
        name="id_correction_request",
    )
    id_link_path = path("id-link/<str:token>/", request_views.IdLinkView.as_view(), name="id_link")
    take_path = path("tasks/<int:task_pk>/take/", views.TakeTaskView.as_view(), name="take")
    waiting_count_path = path(
        "waiting-count/", views.WaitingCountView.as_view(), name="waiting_count"
    )
    revoke_path = path("revoke/<int:pk>/", views.RevokeView.as_view(), name="revoke")
    round_edit_path = path(
        "rounds/<int:pk>/", round_views.RoundEditView.as_view(), name="round_edit"
    )
    round_area_windows_path = path(
        "rounds/<int:pk>/area-windows/",
        round_views.RoundAreaWindowsView.as_view(),
        name="round_area_windows",
    )


certification_viewset = ScopedFlowViewset(CertificationFlow, icon="how_to_reg")
FLOW_VIEWSETS = [
    certification_viewset,
    ScopedFlowViewset(DropoutFlow, icon="person_remove"),
    ScopedFlowViewset(IdCorrectionFlow, icon="badge"),
    ScopedFlowViewset(TransferFlow, icon="swap_horiz"),
    ScopedFlowViewset(GCodeFlow, icon="fingerprint"),
]
