from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS


class WorkflowConflictMiddleware:
    """Turn a lost race on a flow step into a clear message instead of an error page.

    Two clicks on the same step: the first acts; the second finds the step done (viewflow refuses
    it with PermissionDenied) or the process locked by the first (FlowLockFailed).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        match = getattr(request, "resolver_match", None)
        task_pk = match.kwargs.get("task_pk") if match else None
        if task_pk is None or request.method != "POST":
            return None
        if isinstance(exception, FlowLockFailed):
            messages.error(
                request,
                _("Someone else is acting on this step right now; try again in a moment."),
            )
            return redirect(reverse("workflows:inbox"))
        if isinstance(exception, PermissionDenied):
            task = Task.objects.filter(pk=task_pk).only("status").first()
            if task is not None and task.status in (STATUS.DONE, STATUS.CANCELED):
                messages.warning(
                    request,
                    _("This step has already been done; nothing was done twice."),
                )
                return redirect(reverse("workflows:inbox"))
        return None
