"""The ministry's page that changes a round's dates and windows: the round and every open
process's deadline and timers move together (workflows.services.round_change)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import FormView

from census.forms import RoundForm
from census.models import Round
from census.selectors import round_changes
from census.views import MinistryOnlyMixin
from schools.templatetags.thai import thai_date
from schools.views import form_error

from .services import round_change


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
        return super().get_context_data(
            round=self.round, changes=round_changes(round=self.round), **kwargs
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
