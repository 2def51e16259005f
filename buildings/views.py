"""B-OBEC pages: a school's register, the area dashboard and the budget-request lists (the
survey's two flow steps are workflows.survey_views). Each view: permission check → form → one
service call → redirect."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from viewflow.workflow.models import Task

from accounts.permissions import (
    access_school,
    areas_overseen_by,
    can_administer,
    can_keep_roster,
    schools_visible_to,
)
from documents.models import SignedDocument
from schools.models import School
from schools.views import SchoolMixin, ServiceFormView

from . import exports, selectors, services
from .forms import BuildingForm, LandForm, PhotoForm
from .models import Building, BuildingPhoto, SchoolSurvey


def _register_url(school: School) -> str:
    return reverse("buildings:register", args=[school.code])


def _open_task(school_survey: SchoolSurvey | None):
    """Return the survey's open human task (enter or certify), if any."""
    if school_survey is None:
        return None

    return (
        Task.objects.filter(
            process__buildingsurveyprocess__school_survey=school_survey,
            flow_task_type="HUMAN",
            status__in=["NEW", "ASSIGNED", "STARTED"],
        )
        .order_by("-pk")
        .first()
    )


class IndexView(LoginRequiredMixin, TemplateView):
    """List the schools and area offices whose buildings the user may see."""

    template_name = "buildings/index.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        schools = (
            schools_visible_to(user)
            .select_related("area_office")
            .order_by("area_office__code", "code")
        )
        page = Paginator(schools, 50).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            page=page,
            areas=areas_overseen_by(user).order_by("code")[:300],
            survey_year=selectors.survey_year_current(),
            national=can_administer(user),
            **kwargs,
        )


class RegisterView(LoginRequiredMixin, TemplateView):
    """Show a school's buildings, land and survey state; links to change them for its staff."""

    template_name = "buildings/register.html"

    def get_context_data(self, **kwargs):
        school = access_school(self.request.user, self.kwargs["code"])
        survey = selectors.school_survey_current(school=school)
        try:
            services.check_register_open(school)
            locked = ""
        except ValidationError as exc:
            locked = " ".join(exc.messages)
        buildings = list(selectors.buildings_of(school=school))
        year_be = timezone.localdate().year + 543
        return super().get_context_data(
            school=school,
            survey=survey,
            window=services.survey_window(survey.survey_year) if survey else None,
            task=_open_task(survey),
            buildings=[(b, b.age(year_be)) for b in buildings],
            land=selectors.land_of(school=school),
            can_edit=can_keep_roster(self.request.user, school) and not locked,
            locked=locked,
            **kwargs,
        )


class BuildingFormMixin(SchoolMixin):
    template_name = "buildings/form.html"

    def get_success_url(self, result=None):
        return _register_url(self.school)


class BuildingAddView(BuildingFormMixin, ServiceFormView):
    form_class = BuildingForm
    title = _("Add a building")
    success_message = _("Building added.")

    def perform(self, form):
        return services.building_create(
            school=self.school, actor=self.request.user, **form.cleaned_data
        )


class BuildingMixin(BuildingFormMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.school = access_school(request.user, kwargs["code"])
        self.building = get_object_or_404(Building, pk=kwargs["pk"], school=self.school)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(building=self.building, **kwargs)


class BuildingEditView(BuildingMixin, ServiceFormView):
    form_class = BuildingForm
    title = _("Change a building")
    success_message = _("Building saved.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.building}

    def perform(self, form):
        return services.building_update(
            building=self.building, actor=self.request.user, **form.cleaned_data
        )


class BuildingDeleteView(BuildingMixin, View):
    """Remove a building (POST only)."""

    def post(self, request, code, pk):
        try:
            services.building_delete(building=self.building, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Building removed."))
        return redirect(_register_url(self.school))


class PhotoUploadView(BuildingMixin, ServiceFormView):
    form_class = PhotoForm
    title = _("Photos of the building")
    success_message = _("Photo saved.")

    def perform(self, form):
        return services.building_photo_upload(
            building=self.building,
            actor=self.request.user,
            side=form.cleaned_data["side"],
            uploaded_file=form.cleaned_data["file"],
        )


class PhotoView(SchoolMixin, View):
    """Serve a building photo to the users who may see its school."""

    edit = False

    def get(self, request, code, public_id):
        photo = get_object_or_404(BuildingPhoto, public_id=public_id, building__school=self.school)
        response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
        response["Content-Security-Policy"] = "default-src 'none'"
        return response


class LandView(BuildingFormMixin, ServiceFormView):
    form_class = LandForm
    title = _("Land")
    success_message = _("Land saved.")

    def get_initial(self):
        land = selectors.land_of(school=self.school)
        if land is None:
            return {}
        return {
            "rai": land.rai,
            "ngan": land.ngan,
            "square_wa": land.square_wa,
            "document": land.document,
            "document_number": land.document_number,
        }

    def perform(self, form):
        return services.land_update(
            school=self.school, actor=self.request.user, **form.cleaned_data
        )


# --- area office and ministry pages -------------------------------------------------------------


class AreaMixin(LoginRequiredMixin):
    """Resolve an area office the user oversees (404 otherwise) and the survey year asked for."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.area = get_object_or_404(areas_overseen_by(request.user), code=kwargs["code"])
        self.survey_year = selectors.survey_year_for(year=request.GET.get("year"))
        if self.survey_year is None:
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class NationalMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not can_administer(request.user):
            raise PermissionDenied
        self.survey_year = selectors.survey_year_for(year=request.GET.get("year"))
        if self.survey_year is None:
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class ProgressView(AreaMixin, TemplateView):
    """The area office's survey dashboard: each school's state, and a reminder to the late ones."""

    template_name = "buildings/progress.html"

    def get_context_data(self, **kwargs):
        rows = selectors.survey_progress(area_office=self.area, survey_year=self.survey_year)
        totals = {state: 0 for state in SchoolSurvey.State.values}
        for row in rows:
            totals[row.state] += 1
        return super().get_context_data(
            area=self.area,
            survey_year=self.survey_year,
            window=services.survey_window(self.survey_year),
            rows=rows,
            totals=[(label, totals[value]) for value, label in SchoolSurvey.State.choices],
            now=timezone.now(),
            **kwargs,
        )


class RemindView(AreaMixin, View):
    """E-mail every school of the area that has not certified yet (POST only)."""

    def post(self, request, code):
        try:
            count = services.survey_remind(
                survey_year=self.survey_year, area_office=self.area, actor=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Reminder e-mailed to %(n)d schools.") % {"n": count})
        url = reverse("buildings:progress", args=[self.area.code])
        return redirect(f"{url}?year={self.survey_year.year}")


class AreaBudgetView(AreaMixin, TemplateView):
    """The area office's budget-request list: eligible schools with shortage, and the excluded."""

    template_name = "buildings/budget.html"

    def get_context_data(self, **kwargs):
        listing = selectors.budget_list(
            survey_year=self.survey_year,
            schools=School.objects.open().filter(area_office=self.area),
        )
        return super().get_context_data(
            area=self.area,
            survey_year=self.survey_year,
            listing=listing,
            closed=timezone.now() >= self.survey_year.closes,
            record=SignedDocument.objects.filter(
                step_key=f"building_budget:{self.survey_year.year}:{self.area.code}"
            ).first(),
            **kwargs,
        )


class AreaBudgetExportView(AreaMixin, View):
    def get(self, request, code):
        listing = selectors.budget_list(
            survey_year=self.survey_year,
            schools=School.objects.open().filter(area_office=self.area),
        )
        return _xlsx_response(
            exports.budget_xlsx(listing=listing),
            f"bobec-budget-{self.survey_year.fiscal_year}-{self.area.code}.xlsx",
        )


class AreaBudgetSignView(AreaMixin, View):
    """Sign the area office's list once the survey has closed (POST only)."""

    def post(self, request, code):
        try:
            record = services.budget_list_sign(
                survey_year=self.survey_year, area_office=self.area, actor=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            url = reverse("buildings:area_budget", args=[self.area.code])
            return redirect(f"{url}?year={self.survey_year.year}")
        messages.success(request, _("The list is signed."))
        return redirect(reverse("documents:verify", args=[record.public_id]))


class NationalBudgetView(NationalMixin, TemplateView):
    """Every school's place on the budget-request list (ministry), by area office, 100 a page."""

    template_name = "buildings/budget.html"

    def get_context_data(self, **kwargs):
        schools = (
            School.objects.open().order_by("area_office__code", "code").values_list("pk", flat=True)
        )
        page = Paginator(schools, 100).get_page(self.request.GET.get("page"))
        listing = selectors.budget_list(
            survey_year=self.survey_year, schools=School.objects.filter(pk__in=list(page))
        )
        return super().get_context_data(
            area=None,
            survey_year=self.survey_year,
            listing=listing,
            page=page,
            querystring=f"year={self.survey_year.year}",
            **kwargs,
        )


class NationalBudgetExportView(NationalMixin, View):
    def get(self, request):
        listing = selectors.budget_list(survey_year=self.survey_year, schools=School.objects.open())
        return _xlsx_response(
            exports.budget_xlsx(listing=listing),
            f"bobec-budget-{self.survey_year.fiscal_year}-national.xlsx",
        )


def _xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
