"""The ministry's page that changes a round's dates and windows: the round and every open
process's deadline and timers move together (workflows.services.round_change); its second form
staggers the round over groups of area offices (workflows.services.round_area_windows_change)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import FormView

from census.area_windows import area_window_groups
from census.forms import AreaWindowsForm, RoundForm
from census.models import Round
from census.selectors import round_changes
from census.views import MinistryOnlyMixin
from schools.templatetags.thai import thai_date
from schools.views import form_error

from .services import round_area_windows_change, round_change


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
        kwargs.setdefault("spread_form", AreaWindowsForm())
        return super().get_context_data(
            round=self.round,
            changes=round_changes(round=self.round),
            window_groups=area_window_groups(round=self.round),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            round, moved = round_change(
                round=self.round, actor=self.request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form_error(form, exc)
            return self.form_invalid(form)
        if moved:
            messages.success(
                self.request,
                _("Round saved. %(n)s schools in progress now close at %(closes)s.")
                % {"n": moved, "closes": thai_date(round.certify_closes)},
            )
        else:
            messages.success(self.request, _("Round saved."))
        return redirect(reverse("census:index"))


class RoundAreaWindowsView(RoundEditView):
    """The same page's second form: stagger the round over groups of area offices."""

    form_class = AreaWindowsForm
    http_method_names = ["post"]

    def get_form_kwargs(self):
        return FormView.get_form_kwargs(self)

    def get_context_data(self, **kwargs):
        kwargs["spread_form"] = kwargs.pop("form")
        return super().get_context_data(form=RoundForm(instance=self.round), **kwargs)

    def form_valid(self, form):
        try:
            changed, moved = round_area_windows_change(
                round=self.round, actor=self.request.user, groups=form.cleaned_data["groups"]
            )
        except ValidationError as exc:
            form_error(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Windows saved: %(areas)s area offices changed, %(n)s schools in progress moved.")
            % {"areas": len(changed), "n": moved},
        )
        return redirect(reverse("workflows:round_edit", args=[self.round.pk]))
