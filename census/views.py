from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from accounts.permissions import can_administer
from schools.views import form_error

from . import services
from .forms import AcademicYearForm, RoundForm
from .models import AcademicYear, Round


class MinistryOnlyMixin(LoginRequiredMixin):
    """Let only the ministry admin in; everyone else gets 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_administer(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class CalendarView(LoginRequiredMixin, TemplateView):
    """Show every academic year's rounds with their windows (everyone signed in may read it)."""

    template_name = "census/years.html"

    def get_context_data(self, **kwargs):
        years = list(AcademicYear.objects.prefetch_related("rounds").order_by("-year")[:6])
        for year in years:
            for r in year.rounds.all():
                r.confirm_text = services.confirm_window(r).describe()
                r.certify_text = services.certify_window(r).describe()
        return super().get_context_data(
            years=years,
            can_edit=can_administer(self.request.user),
            form=AcademicYearForm(),
            **kwargs,
        )


class AcademicYearCreateView(MinistryOnlyMixin, FormView):
    form_class = AcademicYearForm
    template_name = "census/years.html"

    def form_valid(self, form):
        try:
            year = services.academic_year_create(
                year_be=form.cleaned_data["year"], actor=self.request.user
            )
        except ValidationError as exc:
            messages.error(self.request, " ".join(exc.messages))
        else:
            messages.success(
                self.request, _("Academic year %(y)s created with three rounds.") % {"y": year.year}
            )
        return redirect(reverse("census:index"))

    def form_invalid(self, form):
        messages.error(self.request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(reverse("census:index"))


class RoundEditView(MinistryOnlyMixin, FormView):
    form_class = RoundForm
    template_name = "census/round_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.round = get_object_or_404(
            Round.objects.select_related("academic_year"), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.round}

    def get_context_data(self, **kwargs):
        return super().get_context_data(round=self.round, **kwargs)

    def form_valid(self, form):
        try:
            services.round_update(round=self.round, actor=self.request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Round saved."))
        return redirect(reverse("census:index"))
