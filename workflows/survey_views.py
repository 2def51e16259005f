"""The building survey flow's two human steps: show the school's buildings, act through a service."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buildings import selectors, services
from buildings.models import SchoolSurvey

from .views import CertifyOrSendBackMixin, FlowStepView


class SurveyStepView(FlowStepView):
    """A human step of the building survey flow: show the school's buildings, act through a service."""

    template_name = "buildings/step.html"
    decision = False

    def load(self) -> None:
        self.survey = SchoolSurvey.objects.select_related(
            "school__area_office", "survey_year", "submitted_by"
        ).get(pk=self.process.school_survey_id)

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


class SurveyEnterView(SurveyStepView):
    step_title = gettext_lazy("Enter the buildings (staff)")

    def act(self, request):
        services.school_survey_submit(school_survey=self.survey, actor=request.user)

    def done_message(self):
        return _("Submitted: the director is asked to certify the buildings.")


class SurveyCertifyView(CertifyOrSendBackMixin, SurveyStepView):
    step_title = gettext_lazy("Certify the buildings (director)")

    def certify(self, actor):
        services.school_survey_certify(school_survey=self.survey, actor=actor)

    def send_back(self, actor, reason):
        services.school_survey_reject(school_survey=self.survey, actor=actor, reason=reason)

    def done_message(self):
        if self.process.certified:
            return _("Certified: the building survey record is signed.")
        return _("Sent back to the staff.")
