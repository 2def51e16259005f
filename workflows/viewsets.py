"""Flows inside the viewflow shell, with every list and detail scoped by school.

Every flow's process model has a ``school`` foreign key; ``ScopedFlowViewset(MyFlow)`` mounts the
flow's pages (dashboard, process and task lists, details, inbox/queue/archive, chart) so that a user
sees only the processes of the schools they may see.
"""

from django.db.models import Q
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
)
from viewflow.workflow.flow.views.dashboard import get_task_ref

from accounts.permissions import schools_visible_to

from . import views
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


class ScopedProcessListView(DashboardProcessListView):
    def get_queryset(self):
        visible = schools_visible_to(self.request.user)
        return super().get_queryset().filter(school__in=visible).order_by("-pk")


class ScopedProcessDetailView(DetailProcessView):
    def get_queryset(self):
        return super().get_queryset().filter(school__in=schools_visible_to(self.request.user))


class ScopedTaskListView(DashboardTaskListView):
    @viewprop
    def queryset(self):
        school = f"process__{self.flow_class.process_class._meta.model_name}__school__in"
        return super().queryset.filter(**{school: schools_visible_to(self.request.user)})


class ScopedFlowViewset(FlowAppViewset):
    dashboard_view_class = ScopedDashboardView
    process_list_view_class = ScopedProcessListView
    process_detail_view_class = ScopedProcessDetailView
    task_list_view_class = ScopedTaskListView


class WorkflowsApp(Application):
    """The unified inbox and the ministry's revocation page."""

    title = _("My tasks")
    icon = "inbox"
    app_name = "workflows"
    menu_template_name = None

    index_path = path("", views.InboxView.as_view(), name="inbox")
    take_path = path("tasks/<int:task_pk>/take/", views.TakeTaskView.as_view(), name="take")
    revoke_path = path("revoke/<int:pk>/", views.RevokeView.as_view(), name="revoke")


certification_viewset = ScopedFlowViewset(CertificationFlow, icon="how_to_reg")
