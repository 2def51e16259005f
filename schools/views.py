import secrets
from decimal import InvalidOperation

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from accounts.permissions import (
    access_school,
    access_student,
    areas_overseen_by,
    can_administer,
    can_import_roster,
    can_keep_roster,
    can_register_gcode,
    can_see_full_ids,
    memberships_for,
    schools_visible_to,
)

from . import exports, selectors, services
from .checks import decimal_from_text
from .forms import (
    BulkMoveForm,
    ClassEditForm,
    DateInput,
    DetailsEditForm,
    EvidenceForm,
    ExplanationForm,
    GCodeRegisterForm,
    MeasurementForm,
    MeasurementUploadForm,
    NameEditForm,
    RosterFilterForm,
    StudentAddForm,
    TransferOutForm,
    date_from_text,
)
from .identifiers import mask_citizen_ids_in
from .models import (
    Enrollment,
    EnrollmentStatus,
    Grade,
    IssuedGCode,
    Measurement,
    MeasurementUpload,
    StudentDocument,
)
from .validation import school_findings


class HomeView(LoginRequiredMixin, TemplateView):
    """Show what the signed-in user may act on: their schools and area offices (the count's
    deadlines and rollover review come from the census layer's ``rounds`` template tags)."""

    template_name = "schools/home.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            memberships=list(memberships_for(user)),
            now=timezone.now(),
            areas=areas_overseen_by(user)
            .annotate(school_count=Count("schools"))
            .order_by("code")[:50],
            can_administer=can_administer(user),
            **kwargs,
        )


class SchoolListView(LoginRequiredMixin, TemplateView):
    """List the schools the user may see, with a search and their active learner counts."""

    template_name = "schools/school_list.html"

    def get_context_data(self, **kwargs):
        q = self.request.GET.get("q", "").strip()[:100]
        schools = (
            schools_visible_to(self.request.user)
            .select_related("area_office")
            .annotate(
                learners=Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.ACTIVE))
            )
            .order_by("area_office__code", "code")
        )
        if q:
            schools = schools.filter(Q(code__startswith=q) | Q(name_th__icontains=q))
        page = Paginator(schools, 50).get_page(self.request.GET.get("page"))
        return super().get_context_data(page=page, q=q, **kwargs)


class RosterView(LoginRequiredMixin, TemplateView):
    """Show a school's active learners: search, grade and room filters, paging, grade × sex counts.

    The search box POSTs and the page redirects to ``?s=<opaque key>`` with the search kept in the
    session, so that a citizen ID typed there never reaches a URL, an access log or the history.
    """

    template_name = "schools/roster.html"
    SEARCHES = "roster_searches"
    KEPT_SEARCHES = 20

    def get(self, request, *args, **kwargs):
        if _has_digits(request.GET.get("q", "")):  # an old link or bookmark with an ID in it
            access_school(request.user, kwargs["code"])
            return self.remember_search(request.GET)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        access_school(request.user, kwargs["code"])
        return self.remember_search(request.POST)

    def remember_search(self, data):
        key = secrets.token_urlsafe(12)
        searches = dict(self.request.session.get(self.SEARCHES, {}))
        searches[key] = {name: str(data.get(name, ""))[:100] for name in ("q", "grade", "room")}
        self.request.session[self.SEARCHES] = dict(list(searches.items())[-self.KEPT_SEARCHES :])
        url = reverse("schools:roster", args=[self.kwargs["code"]])
        return redirect(f"{url}?{urlencode({'s': key})}")

    def filter_data(self):
        saved = self.request.session.get(self.SEARCHES, {}).get(self.request.GET.get("s", ""))
        if saved is not None:
            return saved, urlencode({"s": self.request.GET["s"]})
        query = self.request.GET.copy()
        query.pop("page", None)
        query.pop("s", None)
        if _has_digits(query.get("q", "")):
            query.pop("q")
        return query, query.urlencode()

    def get_context_data(self, **kwargs):
        school = access_school(self.request.user, self.kwargs["code"])
        data, querystring = self.filter_data()
        form = RosterFilterForm(data or None, school=school)
        filters = form.cleaned_data if form.is_valid() else {}
        roster = selectors.roster_for(
            school=school,
            q=filters.get("q", ""),
            grade=filters.get("grade", ""),
            room=filters.get("room"),
        )
        page = Paginator(roster, settings.ROSTER_PAGE_SIZE).get_page(self.request.GET.get("page"))
        # The school's own staff keep the roster and need the full IDs (can_see_full_ids).
        can_edit = can_keep_roster(self.request.user, school)
        return super().get_context_data(
            school=school,
            form=form,
            page=page,
            querystring=querystring,
            counts=selectors.grade_sex_counts(school=school),
            nutrition=selectors.nutrition_counts(school=school),
            full_ids=can_edit,
            can_edit=can_edit,
            can_revoke=can_administer(self.request.user),
            # Only the area office records G-codes; asking guardian for the school's own staff
            # as well would cost three queries on the page they open most.
            can_register_gcode=not can_edit and can_register_gcode(self.request.user, school),
            can_import_roster=can_edit or can_import_roster(self.request.user, school),
            **kwargs,
        )


def measured_on_input(value) -> str:
    """Return the grid's date field: typed in the Buddhist year, with a calendar beside it."""
    return DateInput().render("measured_on", value, attrs={"id": "measured_on", "required": True})


def _is_number(text: str) -> bool:
    """Return whether int() reads the text as a whole number: decimal digits, Thai ones too
    ("๑"); "¹" is a digit to str.isdigit() but int() refuses it."""
    return text.isdecimal()


def _has_digits(text: str) -> bool:
    """Return whether a search could hold (part of) a citizen ID or a G-code."""
    return any(ch.isdigit() for ch in str(text))


class StudentView(LoginRequiredMixin, TemplateView):
    """Show one learner: identity, enrollments, measurements and the audit trail."""

    template_name = "schools/student.html"

    def get_context_data(self, **kwargs):
        school, student = access_student(
            self.request.user, self.kwargs["code"], self.kwargs["public_id"]
        )
        return super().get_context_data(
            school=school,
            student=student,
            full_ids=can_see_full_ids(self.request.user, school),
            can_edit=can_keep_roster(self.request.user, school),
            current=student.enrollments.filter(
                school=school, status=EnrollmentStatus.ACTIVE
            ).first(),
            **selectors.student_detail(student=student),
            **kwargs,
        )


# --- roster menus -----------------------------------------------------------------------------


class SchoolMixin(LoginRequiredMixin):
    """Resolve the school from the URL (404 for outsiders); require the roster right to change it."""

    edit = True

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.school = access_school(request.user, kwargs["code"])
        if not self.allowed(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def allowed(self, user) -> bool:
        """Return whether the user may use the page: the roster right where it changes the roster."""
        return not self.edit or can_keep_roster(user, self.school)

    def get_context_data(self, **kwargs):
        return super().get_context_data(school=self.school, **kwargs)


class SchoolGradesFormMixin:
    """Give the view's form its school, so that its grade pickers offer the grades taught there."""

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "school": self.school}


class StudentMixin(SchoolMixin):
    """Also resolve a learner enrolled (now or before) at that school; a change needs the learner
    to be enrolled there now (404 otherwise, on GET as on POST)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.school, self.student = access_student(
            request.user, kwargs["code"], kwargs["public_id"]
        )
        if self.edit and not can_keep_roster(request.user, self.school):
            raise PermissionDenied
        if self.edit:
            self.active_enrollment()
        return super(SchoolMixin, self).dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(student=self.student, **kwargs)

    def active_enrollment(self) -> Enrollment:
        enrollment = Enrollment.objects.filter(
            student=self.student, school=self.school, status=EnrollmentStatus.ACTIVE
        ).first()
        if enrollment is None:
            raise Http404
        return enrollment

    def student_url(self) -> str:
        return reverse("schools:student", args=[self.school.code, self.student.public_id])


def form_error(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form, by field where it names one."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class ServiceFormView(FormView):
    """A form whose valid data goes to one service; the service's ValidationError lands on the form."""

    template_name = "schools/form.html"
    title = ""
    success_message = ""

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=self.title, **kwargs)

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        school = getattr(self, "school", None)
        for name in ("grade", "to_grade"):  # offer only the grades the school teaches
            field = form.fields.get(name)
            if school is not None and field is not None:
                field.choices = [(v, lbl) for v, lbl in field.choices if not v or school.teaches(v)]
        return form

    def form_valid(self, form):
        try:
            result = self.perform(form)
        except ValidationError as exc:
            form_error(form, exc)
            return self.form_invalid(form)
        if message := self.get_success_message(result):
            messages.success(self.request, message)
        return redirect(self.get_success_url(result))

    def perform(self, form):
        raise NotImplementedError

    def get_success_message(self, result) -> str:
        """Return what the next page says was done (Django's SuccessMessageMixin's place for
        it), given what the service returned; "" says nothing."""
        return self.success_message

    def get_success_url(self, result=None):
        return reverse("schools:roster", args=[self.school.code])


class StudentAddView(SchoolGradesFormMixin, SchoolMixin, ServiceFormView):
    form_class = StudentAddForm
    template_name = "schools/student_add.html"
    gcode = False

    @property
    def title(self):
        return _("Add a G-code learner (2.7.4)") if self.gcode else _("Add a learner (2.7.3)")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "gcode": self.gcode}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        refused = context["form"].non_field_errors().as_data()
        if any(e.code == services.GCODE_NOT_ISSUED for e in refused):
            context["gcode_request_url"] = reverse(
                "workflows:gcode_request", args=[self.school.code]
            )
        return context

    def get_initial(self):
        return {"started_on": timezone.localdate(), "nationality": "ไทย", "room": 1}

    def perform(self, form):
        return services.student_add(
            school=self.school, actor=self.request.user, **form.service_kwargs()
        )

    def get_success_message(self, result) -> str:
        return _("Learner added: %(name)s") % {"name": result.student.full_name_th}

    def get_success_url(self, result=None):
        return reverse("schools:student", args=[self.school.code, result.student.public_id])


class GCodeRegisterView(SchoolMixin, ServiceFormView):
    """Record a G-code the national G-code system issued for a learner of the school (area office)."""

    edit = False
    form_class = GCodeRegisterForm
    template_name = "schools/gcode_register.html"
    title = _("Record a G-code issued by the national system")
    success_message = _("G-code recorded: the school may now add the learner (2.7.4).")

    def allowed(self, user) -> bool:
        return can_register_gcode(user, self.school)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            issued=selectors.issued_gcodes_of(school=self.school), **kwargs
        )

    def perform(self, form):
        return services.gcode_register(
            school=self.school, actor=self.request.user, source=IssuedGCode.Source.NATIONAL,
            **form.cleaned_data,
        )  # fmt: skip

    def get_success_url(self, result=None):
        return reverse("schools:gcode_register", args=[self.school.code])


class TransferOutView(StudentMixin, ServiceFormView):
    form_class = TransferOutForm
    title = _("Transfer out (2.7.5)")
    success_message = _("The learner was transferred out.")

    def get_initial(self):
        return {"on": timezone.localdate()}

    def perform(self, form):
        return services.enrollment_transfer_out(
            enrollment=self.active_enrollment(),
            actor=self.request.user,
            on=form.cleaned_data["on"],
            destination_school=form.cleaned_data["destination_code"],
            destination_note=form.cleaned_data["destination_note"],
        )


class ClassEditView(SchoolGradesFormMixin, StudentMixin, ServiceFormView):
    form_class = ClassEditForm
    title = _("Change class or room (2.7.7)")
    success_message = _("Class changed.")

    def get_initial(self):
        enrollment = self.active_enrollment()
        return {"grade": enrollment.grade, "room": enrollment.room}

    def perform(self, form):
        return services.enrollments_change_class(
            school=self.school,
            actor=self.request.user,
            enrollment_ids=[self.active_enrollment().pk],
            grade=form.cleaned_data["grade"],
            room=form.cleaned_data["room"],
            reason=form.cleaned_data["reason"],
        )

    def get_success_url(self, result=None):
        return self.student_url()


class NameEditView(StudentMixin, ServiceFormView):
    form_class = NameEditForm
    title = _("Change the name (2.7.8)")
    success_message = _("Name changed.")

    def get_initial(self):
        self.active_enrollment()
        return {name: getattr(self.student, name) for name in services.NAME_FIELDS}

    def perform(self, form):
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        return services.student_rename(
            student=self.student, school=self.school, actor=self.request.user, reason=reason, **data
        )

    def get_success_url(self, result=None):
        return self.student_url()


class DetailsEditView(StudentMixin, ServiceFormView):
    """Correct the sex or birth date; the nutrition status of each measurement follows."""

    form_class = DetailsEditForm
    title = _("Correct the sex or birth date")
    success_message = _("Sex and birth date saved; the nutrition status was worked out again.")

    def get_initial(self):
        return {"sex": self.student.sex, "birth_date": self.student.birth_date}

    def perform(self, form):
        return services.student_details_correct(
            student=self.student, school=self.school, actor=self.request.user, **form.cleaned_data
        )

    def get_success_url(self, result=None):
        return self.student_url()


class MeasurementView(StudentMixin, ServiceFormView):
    form_class = MeasurementForm
    title = _("Weight and height (3.1.1)")
    success_message = _("Weight and height saved.")

    def get_initial(self):
        return {"measured_on": timezone.localdate()}

    def perform(self, form):
        return services.measurements_record(
            school=self.school,
            actor=self.request.user,
            entries=[
                services.MeasurementEntry(self.active_enrollment().student_id, **form.cleaned_data)
            ],
            source=Measurement.Source.FORM,
        )

    def get_success_url(self, result=None):
        return self.student_url()


class EvidenceUploadView(StudentMixin, ServiceFormView):
    form_class = EvidenceForm
    title = _("Upload a document (2.7.9)")
    success_message = _("Document uploaded.")

    def perform(self, form):
        return services.student_document_upload(
            school=self.school,
            actor=self.request.user,
            student=self.student,
            uploaded_file=form.cleaned_data["file"],
            kind=form.cleaned_data["kind"],
            description=form.cleaned_data["description"],
        )

    def get_success_url(self, result=None):
        return self.student_url()


class EvidenceDownloadView(SchoolMixin, View):
    """Serve an evidence file to the users who may see its school."""

    edit = False

    def get(self, request, code, public_id):
        document = get_object_or_404(StudentDocument, public_id=public_id, school=self.school)
        return FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            # A scanned ID card is often named by its number: keep it out of the download list.
            filename=mask_citizen_ids_in(document.original_name),
            content_type=document.content_type,
        )


class BulkMoveView(SchoolGradesFormMixin, SchoolMixin, ServiceFormView):
    form_class = BulkMoveForm
    title = _("Move a room or the ticked learners (2.7.7)")

    def get_initial(self):
        return {
            "from_grade": self.request.GET.get("from_grade", ""),
            "from_room": self.request.GET.get("from_room", ""),
            "selected": ",".join(self.request.GET.getlist("selected")),
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            counts=selectors.grade_sex_counts(school=self.school), **kwargs
        )

    def perform(self, form):
        data = form.cleaned_data
        roster = Enrollment.objects.filter(school=self.school, status=EnrollmentStatus.ACTIVE)
        if data["selected"]:
            ids = [int(i) for i in data["selected"].split(",") if _is_number(i.strip())]
        else:
            roster = roster.filter(grade=data["from_grade"])
            if data["from_room"]:
                roster = roster.filter(room=data["from_room"])
            ids = list(roster.values_list("pk", flat=True))
        if not ids:
            raise ValidationError(_("No learner to move."))
        moved = services.enrollments_change_class(
            school=self.school,
            actor=self.request.user,
            enrollment_ids=ids,
            grade=data["to_grade"] or None,
            room=data["to_room"],
            reason=data["reason"],
        )
        messages.success(self.request, _("%(n)d learners moved.") % {"n": moved})
        return moved


class MeasurementGridView(SchoolMixin, TemplateView):
    """Type a whole room's weights and heights on one page."""

    template_name = "schools/measurement_grid.html"

    def get_context_data(self, **kwargs):
        grade = self.request.GET.get("grade") or self.request.POST.get("grade") or ""
        room = self.request.GET.get("room") or self.request.POST.get("room") or ""
        rows = []
        if grade in Grade.values and _is_number(room):
            rows = selectors.room_measurements(school=self.school, grade=grade, room=int(room))
        return super().get_context_data(
            grade=grade,
            room=room,
            rows=rows,
            grades=[(g, label) for g, label in Grade.choices if self.school.teaches(g)],
            rooms=selectors.rooms_of(school=self.school),
            measured_on_input=measured_on_input(timezone.localdate()),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        context = self.get_context_data()
        if not context["rows"]:  # no such grade and room: nothing to save, and no URL to build
            messages.error(request, _("Choose a grade and a room."))
            return self.render_to_response(context)
        typed = request.POST.get("measured_on", "")
        try:
            measured_on = date_from_text(typed)
        except ValidationError as error:
            messages.error(request, error.messages[0])
            context["measured_on_input"] = measured_on_input(typed)
            return self.render_to_response(context)
        entries, errors = [], []
        for row in context["rows"]:
            enrollment = row["enrollment"]
            weight = request.POST.get(f"w_{enrollment.pk}", "").strip().replace(",", ".")
            height = request.POST.get(f"h_{enrollment.pk}", "").strip().replace(",", ".")
            row["weight_input"], row["height_input"] = weight, height
            if not weight and not height:
                continue
            try:
                entries.append(
                    services.MeasurementEntry(
                        enrollment.student_id, measured_on, decimal_from_text(weight),
                        decimal_from_text(height),
                    )
                )  # fmt: skip
            except (InvalidOperation, ValueError):
                row["error"] = _("Not a number")
                errors.append(row)
        if not errors:
            try:
                result = services.measurements_record(
                    school=self.school, actor=request.user, entries=entries,
                    source=Measurement.Source.GRID,
                )  # fmt: skip
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return self.render_to_response(context)
            messages.success(
                request,
                _("Saved: %(c)d new, %(u)d changed, %(n)d unchanged.")
                % {"c": result.created, "u": result.updated, "n": result.unchanged},
            )
            query = urlencode({"grade": context["grade"], "room": context["room"]})
            return redirect(f"{request.path}?{query}")
        return self.render_to_response(context)


class MeasurementUploadView(SchoolMixin, ServiceFormView):
    form_class = MeasurementUploadForm
    template_name = "schools/measurement_upload.html"
    title = _("Upload weights and heights (3.1.1 / 2.7.9)")

    def get_context_data(self, **kwargs):
        uploads = selectors.school_uploads(school=self.school)
        return super().get_context_data(uploads=uploads, **kwargs)

    def perform(self, form):
        return services.measurement_upload_start(
            school=self.school, actor=self.request.user, uploaded_file=form.cleaned_data["file"]
        )

    def get_success_url(self, result=None):
        return reverse("schools:upload_status", args=[self.school.code, result.public_id])


class MeasurementUploadStatusView(SchoolMixin, TemplateView):
    """Show an upload's progress and outcome; htmx polls the progress part while it runs."""

    edit = False
    template_name = "schools/upload_status.html"

    def get_template_names(self):
        if self.request.htmx:
            return ["schools/_upload_progress.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        upload = get_object_or_404(
            MeasurementUpload.objects.select_related("uploaded_by"),
            public_id=self.kwargs["public_id"],
            school=self.school,
        )
        return super().get_context_data(
            upload=upload,
            progress_url=reverse(
                "schools:upload_status", args=[self.school.code, upload.public_id]
            ),
            outcome_template="schools/_measurement_upload_done.html",
            retry_url=reverse("schools:upload", args=[self.school.code]),
            **kwargs,
        )


class MeasurementTemplateView(SchoolMixin, View):
    edit = False

    def get(self, request, code):
        enrollments = list(selectors.roster_for(school=self.school))
        data = exports.measurement_template_xlsx(school=self.school, enrollments=enrollments)
        return _xlsx_response(data, f"weight-height-{self.school.code}.xlsx")


class RosterExportView(SchoolMixin, View):
    edit = False

    def get(self, request, code):
        enrollments = list(selectors.roster_for(school=self.school))
        data = exports.roster_xlsx(
            school=self.school,
            enrollments=enrollments,
            counts=selectors.grade_sex_counts(school=self.school),
        )
        stamp = timezone.localdate().isoformat()
        return _xlsx_response(data, f"roster-{self.school.code}-{stamp}.xlsx")


def _xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ValidationView(SchoolMixin, TemplateView):
    """List the school's validation errors and queries, with links to fix or explain each."""

    edit = False
    template_name = "schools/validation.html"

    def get_context_data(self, **kwargs):
        findings = school_findings(school=self.school)
        return super().get_context_data(
            findings=findings,
            can_edit=can_keep_roster(self.request.user, self.school),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if not can_keep_roster(request.user, self.school):
            raise PermissionDenied
        form = ExplanationForm(request.POST)
        if form.is_valid():
            try:
                services.query_explain(school=self.school, actor=request.user, **form.cleaned_data)
                messages.success(request, _("Explanation saved."))
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
        else:
            messages.error(request, _("Write an explanation."))
        return redirect(reverse("schools:validation", args=[self.school.code]))
