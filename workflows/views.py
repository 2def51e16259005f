from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.permissions import can_administer
from census import selectors as census_selectors
from census import services as census
from census.models import SchoolRound
from documents.models import Kind, SignedDocument
from schools.selectors import grade_sex_counts
from schools.validation import school_findings

from . import selectors
from .services import certification_revoke


def next_url(request, process) -> str:
    """Return the next step of the same process that the user may do now (taking it for them), or
    their inbox: staff who prepared go straight on to confirm."""
    for task in Task.objects.filter(process=process, flow_task_type="HUMAN", status=STATUS.NEW):
        if task.flow_task.can_assign(request.user, task):
            with task.activation() as activation:
                activation.assign(request.user)
            return task.flow_task.reverse("execute", args=[task.process_id, task.pk])
    task = Task.objects.next_user_task(process, request.user)
    if task is not None:
        return task.flow_task.reverse("index", args=[task.process_id, task.pk])
    return reverse("workflows:inbox")


class FlowStepView(LoginRequiredMixin, TemplateView):
    """A human step of a flow: show what the step is about, act through one service, then go on
    to the user's next step of the same process."""

    step_title = ""

    def dispatch(self, request, *args, **kwargs):
        self.activation = request.activation
        self.process = self.activation.process
        self.load()
        return super().dispatch(request, *args, **kwargs)

    def load(self) -> None:
        """Read what the step shows and acts on, from self.process."""

    def post(self, request, *args, **kwargs):
        try:
            self.act(request)
        except ValidationError as exc:
            # The service wrote nothing; the task stays assigned (its start is not saved).
            return self.render_to_response(self.get_context_data(errors=exc.messages))
        self.activation.execute()
        messages.success(request, self.done_message())
        return HttpResponseRedirect(next_url(request, self.process))

    def act(self, request):
        raise NotImplementedError

    def done_message(self) -> str:
        return _("Done.")


class CertifyOrSendBackMixin:
    """The director's step of a FlowStepView: certify, or send back to the staff with a reason;
    the flow's next node reads process.certified."""

    decision = True

    def act(self, request):
        if request.POST.get("decision") == "reject":
            self.send_back(request.user, request.POST.get("reason", ""))
            self.process.certified = False
        else:
            self.certify(request.user)
            self.process.certified = True
        self.process.save(update_fields=["certified"])


class CertificationStepView(FlowStepView):
    """A human step of the certification flow: show the school's data, act through one service."""

    template_name = "workflows/certification_step.html"
    action_label = ""

    def load(self) -> None:
        self.school_round = SchoolRound.objects.select_related(
            "school__area_office", "round__academic_year", "confirmed_by", "certified_by"
        ).get(pk=self.process.school_round_id)

    def get_context_data(self, **kwargs):
        round = self.school_round.round
        windows = census_selectors.windows_for(
            round=round, area_office_id=self.school_round.school.area_office_id
        )
        return super().get_context_data(
            process=self.process,
            task=self.activation.task,
            school=self.school_round.school,
            school_round=self.school_round,
            round=round,
            confirm_window=census.confirm_window(windows),
            confirm_asked_from=census.confirm_asked_from(round) if windows is round else None,
            certify_window=census.certify_window(windows),
            area_window=windows is not round,
            counts=grade_sex_counts(school=self.school_round.school),
            records=SignedDocument.objects.filter(
                school=self.school_round.school,
                kind__in=(Kind.CONFIRMATION, Kind.SEND_BACK, Kind.CERTIFICATION),
                created_at__gte=self.process.created,
            ).order_by("created_at"),
            step_title=self.step_title,
            action_label=self.action_label,
            now=timezone.now(),
            **kwargs,
        )


class PrepareView(CertificationStepView):
    step_title = _("Check and prepare the data")
    action_label = _("The data is ready to confirm")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            findings=school_findings(school=self.school_round.school), **kwargs
        )

    def act(self, request):
        census.school_round_prepare(school_round=self.school_round, actor=request.user)

    def done_message(self):
        return _("Prepared. Confirm the data inside the confirm window.")


class ConfirmView(CertificationStepView):
    step_title = _("Confirm the data (staff)")
    action_label = _("Confirm the data")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            findings=school_findings(school=self.school_round.school), **kwargs
        )

    def act(self, request):
        census.school_round_confirm(school_round=self.school_round, actor=request.user)

    def done_message(self):
        return _(
            "Confirmed: the director is asked to certify. The confirmation record is being "
            "signed; it will be in the school's signed records in a moment."
        )


class CertifyView(CertifyOrSendBackMixin, CertificationStepView):
    step_title = _("Certify the data (director)")
    action_label = _("Certify the data")

    def certify(self, actor):
        census.school_round_certify(school_round=self.school_round, actor=actor)

    def send_back(self, actor, reason):
        census.school_round_reject(school_round=self.school_round, actor=actor, reason=reason)

    def done_message(self):
        if self.process.certified:
            return _(
                "Certified: the roster is frozen. The certification record is being signed; it "
                "will be in the school's signed records in a moment."
            )
        return _("Sent back to the staff to confirm again. The send-back record is being signed.")


class AcknowledgeView(CertificationStepView):
    step_title = _("Acknowledge the certification (area office)")
    action_label = _("Acknowledge")

    def act(self, request):
        census.school_round_acknowledge(school_round=self.school_round, actor=request.user)

    def done_message(self):
        return _("Acknowledged. The acknowledgement record is being signed.")


class InboxView(LoginRequiredMixin, TemplateView):
    """One list of the tasks the user may act on, across every flow."""

    template_name = "workflows/inbox.html"

    def get_context_data(self, **kwargs):
        page = selectors.inbox_page(user=self.request.user, number=self.request.GET.get("page"))
        return super().get_context_data(
            rows=page.object_list, page=page, now=timezone.now(), **kwargs
        )


class WaitingCountView(LoginRequiredMixin, TemplateView):
    """The count beside "My tasks" in the menu, fetched after the page (htmx) so that a page's own
    queries stay its own; never stored by a browser or a proxy."""

    template_name = "workflows/_waiting_count.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            count=selectors.waiting_count(user=self.request.user), **kwargs
        )

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        patch_cache_control(response, no_store=True, private=True)
        return response


class TakeTaskView(LoginRequiredMixin, View):
    """Take a task from the inbox (assign it to oneself) and open it; POST only."""

    def post(self, request, task_pk):
        task = get_object_or_404(selectors.actionable_tasks(user=request.user), pk=task_pk)
        if task.owner_id is None:
            with task.activation() as activation:
                if not activation.flow_task.can_assign(request.user, activation.task):
                    raise PermissionDenied
                activation.assign(request.user)
        elif task.owner_id != request.user.pk:
            raise Http404
        return redirect(task.flow_task.reverse("execute", args=[task.process_id, task.pk]))


class RevokeView(LoginRequiredMixin, TemplateView):
    """Revoke a school's certification of a round, with a reason (ministry admin only)."""

    template_name = "workflows/revoke.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_administer(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_school_round(self):
        return get_object_or_404(
            SchoolRound.objects.select_related("school", "round__academic_year"),
            pk=self.kwargs["pk"],
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(school_round=self.get_school_round(), **kwargs)

    def post(self, request, pk):
        school_round = self.get_school_round()
        try:
            record = certification_revoke(
                school_round=school_round, actor=request.user, reason=request.POST.get("reason", "")
            )
        except ValidationError as exc:
            return self.render_to_response(self.get_context_data(errors=exc.messages))
        messages.success(request, _("Certification revoked; the revocation record is signed."))
        return redirect(reverse("documents:verify", args=[record.public_id]))
