"""Pages of a school's roster file: the template, the upload, the preview, then the progress."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from accounts.permissions import access_area_roster_import, can_import_roster

from .models import Grade, RosterImport, School
from .roster_import import COLUMNS, Kind, roster_template_csv, roster_template_xlsx
from .roster_services import roster_import_queue, roster_import_start
from .views import SchoolMixin, ServiceFormView, _xlsx_response

PREVIEW_PAGE_SIZE = 50


class RosterImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File (.xlsx or .csv)"))


class RosterImportMixin(SchoolMixin):
    """A school's roster file: its staff, and the officers of its area office."""

    url_prefix = "schools:roster_import"

    def allowed(self, user) -> bool:
        return can_import_roster(user, self.school)

    def owner(self) -> dict:
        return {"owner_code": self.school.code, "owner_name": self.school.name_th}

    def imports(self):
        return self.school.roster_imports

    def template_schools(self) -> list[School]:
        return [self.school]

    def start_kwargs(self) -> dict:
        return {"school": self.school}

    def get_context_data(self, **kwargs):
        return super().get_context_data(url_prefix=self.url_prefix, **self.owner(), **kwargs)


class AreaRosterImportMixin(LoginRequiredMixin):
    """An area office's roster file, rows for many of its schools: its officers only."""

    url_prefix = "schools:area_roster_import"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.area = access_area_roster_import(request.user, kwargs["code"])
        return super().dispatch(request, *args, **kwargs)

    def owner(self) -> dict:
        return {"owner_code": self.area.code, "owner_name": self.area.name_th, "area": self.area}

    def imports(self):
        return self.area.roster_imports

    def template_schools(self) -> list[School]:
        return list(self.area.schools.order_by("code"))

    def start_kwargs(self) -> dict:
        return {"area_office": self.area}

    def get_context_data(self, **kwargs):
        return super().get_context_data(url_prefix=self.url_prefix, **self.owner(), **kwargs)


class RosterImportFormBase(ServiceFormView):
    form_class = RosterImportForm
    template_name = "schools/roster_import.html"
    title = gettext_lazy("Load the roster from a file")

    def get_context_data(self, **kwargs):
        imports = self.imports().select_related("uploaded_by")[:10]
        return super().get_context_data(imports=imports, **kwargs)

    def perform(self, form):
        return roster_import_start(
            actor=self.request.user, uploaded_file=form.cleaned_data["file"], **self.start_kwargs()
        )

    def get_success_url(self, result=None):
        return reverse(f"{self.url_prefix}_detail", args=[self.kwargs["code"], result.public_id])


class RosterImportView(RosterImportMixin, RosterImportFormBase):
    pass


class AreaRosterImportView(AreaRosterImportMixin, RosterImportFormBase):
    title = gettext_lazy("Load the rosters of the area's schools from a file")


class RosterTemplateBase(View):
    fmt = "xlsx"

    def get(self, request, code):
        name = f"roster-{code}.{self.fmt}"
        if self.fmt == "csv":
            response = HttpResponse(roster_template_csv(), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        return _xlsx_response(roster_template_xlsx(schools=self.template_schools()), name)


class RosterTemplateView(RosterImportMixin, RosterTemplateBase):
    pass


class AreaRosterTemplateView(AreaRosterImportMixin, RosterTemplateBase):
    pass


def preview_context(roster_import: RosterImport, *, kind: str, page_number) -> dict:
    """Return the preview's tabs and one page of its rows of one kind (no query: kept as JSON)."""
    labels = {name: label for name, label, _required in COLUMNS}
    rows = [r for r in roster_import.preview if r["kind"] == kind]
    page = Paginator(rows, PREVIEW_PAGE_SIZE).get_page(page_number)
    for row in page.object_list:
        row["grade_label"] = Grade(row["grade"]).label if row["grade"] in Grade.values else ""
        row["change_list"] = [
            {"what": labels.get(name, name), "old": _shown(name, old), "new": _shown(name, new)}
            for name, old, new in row["changes"]
        ]
    tabs = [
        {"kind": k, "label": label, "count": roster_import.counts.get(k, 0), "current": k == kind}
        for k, label in Kind.choices
    ]
    return {"tabs": tabs, "page": page, "kind": kind, "querystring": urlencode({"kind": kind})}


def _shown(name: str, value):
    if name == "grade" and value in Grade.values:
        return Grade(value).label
    return value


class RosterImportDetailBase(TemplateView):
    """Show a roster file's preview (before it is applied) or its progress and outcome."""

    template_name = "schools/roster_import_detail.html"

    def get_template_names(self):
        if self.request.htmx:
            return ["schools/_upload_progress.html"]
        return [self.template_name]

    def roster_import(self) -> RosterImport:
        return get_object_or_404(
            self.imports().select_related("uploaded_by"), public_id=self.kwargs["public_id"]
        )

    def get_context_data(self, **kwargs):
        roster_import = self.roster_import()
        kind = self.request.GET.get("kind", "")
        if kind not in Kind.values:
            kind = next((k for k in Kind.values if roster_import.counts.get(k)), Kind.NEW)
        code = self.kwargs["code"]
        here = reverse(f"{self.url_prefix}_detail", args=[code, roster_import.public_id])
        return super().get_context_data(
            upload=roster_import,
            progress_url=here,
            outcome_template="schools/_roster_import_done.html",
            retry_url=reverse(self.url_prefix, args=[code]),
            **preview_context(roster_import, kind=kind, page_number=self.request.GET.get("page")),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        roster_import = self.roster_import()
        try:
            roster_import_queue(roster_import=roster_import, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The file is being applied."))
        return redirect(request.path)


class RosterImportDetailView(RosterImportMixin, RosterImportDetailBase):
    pass


class AreaRosterImportDetailView(AreaRosterImportMixin, RosterImportDetailBase):
    pass
