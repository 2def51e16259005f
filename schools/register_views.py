"""The ministry's school-list pages: upload a file, read its dry run, apply it."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from accounts.permissions import can_import_school_list

from .forms import SchoolListForm
from .models import AreaOffice, Grade, RegisterChange, RegisterImport, School
from .register import PREVIEW_ROWS, register_import_apply, register_import_preview
from .templatetags.thai import thai_date
from .views import ServiceFormView


class MinistryListMixin(LoginRequiredMixin):
    """Let only the ministry admin in; everyone else gets 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_import_school_list(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class SchoolListUploadView(MinistryListMixin, ServiceFormView):
    """Upload the ministry's school list; the next page shows what it would change."""

    form_class = SchoolListForm
    template_name = "schools/school_list_upload.html"
    title = gettext_lazy("Import the school list")

    def get_context_data(self, **kwargs):
        imports = RegisterImport.objects.select_related("uploaded_by")[:10]
        return super().get_context_data(imports=imports, **kwargs)

    def perform(self, form):
        record, _plan = register_import_preview(
            uploaded_file=form.cleaned_data["file"], actor=self.request.user
        )
        return record

    def get_success_url(self, result=None):
        return reverse("schools:school_list_preview", args=[result.public_id])


def _labels() -> dict[tuple[str, str], str]:
    labels = {}
    for kind, model in (
        (RegisterChange.Kind.AREA_OFFICE, AreaOffice),
        (RegisterChange.Kind.SCHOOL, School),
    ):
        for f in model._meta.get_fields():
            if hasattr(f, "verbose_name"):
                labels[(kind, f.name)] = str(f.verbose_name)
    return labels


def _choices() -> dict[str, dict[str, str]]:
    grades = {v: str(label) for v, label in Grade.choices}
    return {
        "kind": {v: str(label) for v, label in AreaOffice.Kind.choices},
        "lowest_grade": grades,
        "highest_grade": grades,
        "size": {v: str(label) for v, label in School.Size.choices},
        "status": {v: str(label) for v, label in School.Status.choices},
    }


def _value(name: str, value: str, choices: dict) -> str:
    if not value:
        return "—"
    if name in choices:
        return choices[name].get(value, value)
    if name == "closed_on":
        try:
            return thai_date(date.fromisoformat(value))
        except ValueError:
            return value
    return value


class SchoolListPreviewView(MinistryListMixin, TemplateView):
    """Show a kept file's dry run: counts, and the first rows of new, changed, closed and refused."""

    template_name = "schools/school_list_preview.html"

    def get_context_data(self, **kwargs):
        record = get_object_or_404(
            RegisterImport.objects.select_related("uploaded_by"), public_id=self.kwargs["public_id"]
        )
        summary = record.summary
        labels, choices = _labels(), _choices()
        kinds = dict(RegisterChange.Kind.choices)
        tables = []
        for key, title in (
            ("added", _("New")),
            ("changed", _("Changed")),
            ("closed", _("Closed or merged")),
        ):
            rows = [
                {
                    **row,
                    "kind_label": kinds.get(row["kind"], ""),
                    "changes": [
                        (
                            labels.get((row["kind"], name), name),
                            _value(name, old, choices),
                            _value(name, new, choices),
                        )
                        for name, (old, new) in row["changes"].items()
                    ],
                }
                for row in summary.get(key, [])
            ]
            tables.append(
                {"key": key, "title": title, "rows": rows, "total": summary["counts"][key]}
            )
        counts = summary["counts"]
        return super().get_context_data(
            record=record,
            counts=counts,
            tables=tables,
            refused=summary.get("refused", []),
            shown=PREVIEW_ROWS,
            can_apply=record.status == RegisterImport.Status.PREVIEWED
            and (counts["added"] + counts["changed"] + counts["closed"]) > 0,
            **kwargs,
        )


class SchoolListApplyView(MinistryListMixin, View):
    """Apply a previewed file (POST only): all its changes in one transaction, or nothing."""

    def post(self, request, public_id):
        record = get_object_or_404(RegisterImport, public_id=public_id)
        try:
            plan = register_import_apply(register_import=record, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("Saved: %(added)d new, %(changed)d changed, %(closed)d closed or merged.")
                % {
                    "added": len(plan.added),
                    "changed": len(plan.changed),
                    "closed": len(plan.closed),
                },
            )
        return redirect(reverse("schools:school_list_preview", args=[record.public_id]))
