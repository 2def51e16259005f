"""Pages of the approval requests: staff start them, the area office, the releasing school or the
e-mailed approver decide, and everyone concerned reads the request's timeline."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView
from viewflow.workflow.models import Task

from accounts.permissions import access_request, access_school, can_view_document, can_view_request
from documents.models import SignedDocument
from schools.identifiers import mask_citizen_ids_in
from schools.models import StudentDocument
from schools.views import SchoolGradesFormMixin, SchoolMixin, StudentMixin, form_error

from . import requests, selectors
from .forms import (
    DecisionForm,
    DropoutRequestForm,
    GCodeRequestForm,
    IdCorrectionForm,
    ReleaseForm,
    TransferInForm,
)
from .models import REQUEST_KINDS


def request_url(process) -> str:
    return reverse("workflows:request", args=[kind_of(process), process.pk])


class StartRequestView(FormView):
    template_name = "schools/form.html"
    title = ""

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=self.title, **kwargs)

    def form_valid(self, form):
        try:
            result = self.perform(form)
        except ValidationError as exc:
            form_error(form, exc)
            return self.form_invalid(form)
        return redirect(self.success_url_for(result))

    def success_url_for(self, result):
        messages.success(self.request, _("Request sent."))
        return request_url(result)


class DropoutRequestView(StudentMixin, StartRequestView):
    form_class = DropoutRequestForm
    title = _("Dropout or removal (2.7.6): ask the area office")

    def get_initial(self):
        return {"effective_on": timezone.localdate()}

    def perform(self, form):
        data = dict(form.cleaned_data)
        evidence = data.pop("evidence")
        return requests.dropout_request(
            enrollment=self.active_enrollment(), actor=self.request.user, evidence=evidence, **data
        )


class IdCorrectionRequestView(StudentMixin, StartRequestView):
    form_class = IdCorrectionForm
    title = _("Correct the citizen ID (approved by e-mail)")

    def perform(self, form):
        self.active_enrollment()
        return requests.id_correction_request(
            student=self.student,
            school=self.school,
            actor=self.request.user,
            new_citizen_id=form.cleaned_data["new_citizen_id"],
            evidence=form.cleaned_data["evidence"],
        )


class TransferInView(SchoolGradesFormMixin, SchoolMixin, StartRequestView):
    form_class = TransferInForm
    title = _("Transfer in (2.7.1)")

    def perform(self, form):
        student = requests.find_learner(form.cleaned_data["identifier"])
        if student is None:
            raise ValidationError(
                {"identifier": _("No learner has this ID yet: use Add a learner (2.7.3).")}
            )  # fmt: skip
        return requests.transfer_request(
            school=self.school,
            actor=self.request.user,
            student=student,
            grade=form.cleaned_data["grade"],
            room=form.cleaned_data["room"],
            evidence=form.cleaned_data["evidence"],
        )

    def success_url_for(self, result):
        if result.enrolled_at_once:
            messages.success(self.request, _("Nobody held the learner: enrolled at once."))
            student = result.enrollment.student
            return reverse("schools:student", args=[self.school.code, student.public_id])
        process = result.process
        messages.success(
            self.request,
            _("Request sent to %(school)s.") % {"school": process.releasing_school.name_th},
        )
        return request_url(process)


class GCodeRequestView(SchoolGradesFormMixin, SchoolMixin, StartRequestView):
    form_class = GCodeRequestForm
    title = _("Request a G-code (2.7.4)")

    def get_initial(self):
        return {"nationality": "ไม่ปรากฏสัญชาติ", "room": 1}

    def perform(self, form):
        return requests.gcode_request(
            school=self.school, actor=self.request.user, **form.cleaned_data
        )


# --- decisions (flow View nodes) ----------------------------------------------------------------


class DecisionStepView(LoginRequiredMixin, FormView):
    """A decision step: show the request and its evidence; POST decides through one service."""

    template_name = "workflows/decision.html"
    form_class = DecisionForm
    title = ""

    def dispatch(self, request, *args, **kwargs):
        self.activation = request.activation
        self.process = self.activation.process
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=self.title,
            process=self.process,
            **request_context(self.process, self.request.user),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            decided = self.decide(form.cleaned_data)
        except ValidationError as exc:
            self.process.refresh_from_db()  # show the request as stored, not the refused decision
            form_error(form, exc)
            return self.form_invalid(form)
        self.activation.execute()
        messages.success(self.request, _("Decision recorded and signed."))
        return HttpResponseRedirect(request_url(decided))


class DropoutDecisionView(DecisionStepView):
    title = _("Approve a dropout or removal")

    def decide(self, data):
        return requests.dropout_decide(process=self.process, actor=self.request.user, **data)


class GCodeDecisionView(DecisionStepView):
    title = _("Verify and issue a G-code")

    def decide(self, data):
        return requests.gcode_decide(process=self.process, actor=self.request.user, **data)


class TransferReleaseView(DecisionStepView):
    title = _("Release a learner to another school")
    form_class = ReleaseForm

    def decide(self, data):
        return requests.transfer_decide(process=self.process, actor=self.request.user, **data)


# --- the e-mailed link ---------------------------------------------------------------------------


class IdLinkView(LoginRequiredMixin, FormView):
    """The approver's e-mailed link: GET shows the request and decides nothing; POST decides."""

    template_name = "workflows/decision.html"
    form_class = DecisionForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        try:
            self.link = requests.id_link_open(token=kwargs["token"], user=request.user)
        except requests.LinkRefused as refused:
            return self.refused(refused)
        self.process = self.link.process
        return super().dispatch(request, *args, **kwargs)

    def refused(self, refused):
        """Say why the link decides nothing, with the way to the request for those who may see it."""
        process = requests.id_link_process(token=self.kwargs["token"])
        context = {"reason": str(refused)}
        if process is not None and can_view_request(self.request.user, process):
            context["request_url"] = request_url(process)
        return self.response_class(
            request=self.request, template=["workflows/link_refused.html"],
            context=context, status=403,
        )  # fmt: skip

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("Correct a citizen ID"),
            process=self.process,
            notice=requests.id_corrections_freeze_notice(deciding=True),
            **request_context(self.process, self.request.user),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            decided = requests.id_link_decide(
                link=self.link, actor=self.request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form_error(form, exc)
            return self.form_invalid(form)
        except requests.LinkRefused as refused:
            return self.refused(refused)
        messages.success(self.request, _("Decision recorded and signed."))
        return redirect(request_url(decided))


# --- the request page: its timeline ----------------------------------------------------------------


def kind_of(process) -> str:
    return next(k for k, model in REQUEST_KINDS.items() if isinstance(process, model))


def request_context(process, user) -> dict:
    records = list(
        SignedDocument.objects.filter(
            subject_type__model=process._meta.model_name, subject_id=str(process.pk)
        ).order_by("created_at")
    )
    return {
        "kind": kind_of(process),
        "evidence": list(
            StudentDocument.objects.filter(request_key=process.request_key).select_related("school")
        ),
        "records": records,
        # Each party downloads the signed file; anyone may check it on its verify page.
        "downloadable": {r.pk for r in records if r.is_ready and can_view_document(user, r)},
    }


class RequestEvidenceView(LoginRequiredMixin, View):
    """Serve a request's evidence file to those who may see the request (the approver included)."""

    def get(self, request, kind, pk, public_id):
        process = access_request(request.user, REQUEST_KINDS.get(kind), pk)
        document = StudentDocument.objects.filter(
            request_key=process.request_key, public_id=public_id
        ).first()
        if document is None:
            raise Http404
        return FileResponse(
            document.file.open("rb"), as_attachment=True,
            filename=mask_citizen_ids_in(document.original_name),
            content_type=document.content_type,
        )  # fmt: skip


class RequestView(LoginRequiredMixin, TemplateView):
    """One request with its timeline: who did what, when, and which signed record."""

    template_name = "workflows/request.html"

    def get_context_data(self, **kwargs):
        process = access_request(
            self.request.user, REQUEST_KINDS.get(kwargs.pop("kind")), kwargs.pop("pk")
        )
        tasks = list(
            Task.objects.filter(process=process).select_related("owner").order_by("created", "pk")
        )
        return super().get_context_data(
            process=process, tasks=tasks, **request_context(process, self.request.user), **kwargs
        )


class RequestListView(LoginRequiredMixin, TemplateView):
    """A school's requests, newest first (for its staff, director and area office)."""

    template_name = "workflows/request_list.html"

    def get_context_data(self, **kwargs):
        school = access_school(self.request.user, self.kwargs["code"])
        rows = selectors.requests_of_school(school=school)
        return super().get_context_data(school=school, rows=rows, **kwargs)
