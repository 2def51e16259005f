"""The building survey flow's two human steps: show the school's buildings, act through a service."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from buildings import selectors, services
from buildings.models import SchoolSurvey

from .views import next_url


class SurveyStepView(LoginRequiredMixin, TemplateView):
    """A human step of the building survey flow: show the school's buildings, act through a service."""

    template_name = "buildings/step.html"
    step_title = ""
    decision = False

    def dispatch(self, request, *args, **kwargs):
        self.activation = request.activation
        self.process = self.activation.process
        self.survey = SchoolSurvey.objects.select_related(
            "school__area_office", "survey_year", "submitted_by"
        ).get(pk=self.process.school_survey_id)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        school = self.survey.school
        year_be = timezone.localdate().year + 543
        return super().get_context_data(
            process=self.process,
            task=self.activation.task,
            school=school,
            survey=self.survey,
            window=services.survey_window(self.survey.survey_year),
            buildings=[(b, b.age(year_be)) for b in selectors.buildings_of(school=school)],
            land=selectors.land_of(school=school),
            summary=selectors.building_summary(school=school),
            step_title=self.step_title,
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        try:
            self.act(request)
        except ValidationError as exc:
            return self.render_to_response(self.get_context_data(errors=exc.messages))
        self.activation.execute()
        messages.success(request, self.done_message())
        return HttpResponseRedirect(next_url(request, self.process))


class SurveyEnterView(SurveyStepView):
    step_title = gettext_lazy("Enter the buildings (staff)")

    def act(self, request):
        services.school_survey_submit(school_survey=self.survey, actor=request.user)

    def done_message(self):
        return _("Submitted: the director is asked to certify the buildings.")


class SurveyCertifyView(SurveyStepView):
    step_title = gettext_lazy("Certify the buildings (director)")
    decision = True

    def act(self, request):
        if request.POST.get("decision") == "reject":
            services.school_survey_reject(
                school_survey=self.survey,
                actor=request.user,
                reason=request.POST.get("reason", ""),
            )
            self.process.certified = False
        else:
            services.school_survey_certify(school_survey=self.survey, actor=request.user)
            self.process.certified = True
        self.process.save(update_fields=["certified"])

    def done_message(self):
        if self.process.certified:
            return _("Certified: the building survey record is signed.")
        return _("Sent back to the staff.")
