"""The building survey flow (B-OBEC): one process per school per survey year.

start (when the survey year opens, 1 Oct) → enter [staff] → certify [director, inside the window]
    → certified? → signed building survey record → end
                 └ sent back → enter again
Every waiting step times out at the close of the window (30 Oct 16:30) → missed → end: the school
is not listed for the budget request of fiscal year (academic year + 2).
"""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import act, flow
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from buildings import services
from buildings.models import SchoolSurvey, SurveyYear
from schools.models import School

from .flowbase import SchoolScopedFlowMixin, process_deadline
from .models import BuildingSurveyProcess
from .survey_views import SurveyCertifyView, SurveyEnterView


class BuildingSurveyFlow(SchoolScopedFlowMixin, flow.Flow):
    process_class = BuildingSurveyProcess
    process_title = _("B-OBEC: building survey")
    process_description = _(
        "Staff enter the school's buildings and the director certifies them in October."
    )

    start = (
        flow.StartHandle(this.start_process).Annotation(title=_("Open the survey")).Next(this.enter)
    )
    enter = (
        flow.View(SurveyEnterView.as_view())
        .Annotation(title=_("Enter the buildings (staff)"))
        .Permission("schools.keep_roster", obj=lambda p: p.coerced.school)
        .OnTimeout(process_deadline, this.missed, title=_("Deadline"))
        .Next(this.certify)
    )
    certify = (
        flow.View(SurveyCertifyView.as_view())
        .Annotation(title=_("Certify the buildings (director)"))
        .Permission("schools.certify_round", obj=lambda p: p.coerced.school)
        .OnTimeout(process_deadline, this.missed, title=_("Deadline"))
        .Next(this.decided)
    )
    decided = (
        flow.If(act.process.certified)
        .Annotation(title=_("The director's decision"))
        .Then(this.record)
        .Else(this.enter)
    )
    record = (
        flow.Function(this.sign_record)
        .Annotation(title=_("Record the certification"))
        .Next(this.end)
    )
    missed = (
        flow.Function(this.mark_missed)
        .Annotation(title=_("Record the missed deadline"))
        .Next(this.end_missed)
    )
    end = flow.End().Annotation(title=_("Done"))
    end_missed = flow.End().Annotation(title=_("Closed: deadline missed"))

    def start_process(self, activation, school_survey):
        process = activation.process
        process.school_survey = school_survey
        process.school_id = school_survey.school_id
        process.survey_year_id = school_survey.survey_year_id
        process.deadline = school_survey.survey_year.closes
        return process

    def sign_record(self, activation):
        services.survey_record(school_survey=activation.process.school_survey)

    def mark_missed(self, activation):
        # Missed when the window closed, however late the timer fires.
        services.school_survey_miss(
            school_survey=activation.process.school_survey, at=activation.process.deadline
        )


def survey_start(*, school_survey: SchoolSurvey) -> tuple[BuildingSurveyProcess, bool]:
    """Start the school's survey process of the year once; say whether it started now."""
    existing = BuildingSurveyProcess.objects.filter(school_survey=school_survey).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return BuildingSurveyFlow.start.run(school_survey=school_survey), True
    except IntegrityError:
        return BuildingSurveyProcess.objects.get(school_survey=school_survey), False


def survey_year_open(*, survey_year: SurveyYear, schools=None, at: datetime | None = None) -> int:
    """Open the survey of every school (or those given) and start its process; return how many."""
    schools = School.objects.open() if schools is None else schools
    started = 0
    for school in schools.order_by("pk").iterator(chunk_size=1000):
        with transaction.atomic():
            school_survey, _created = services.school_survey_open(
                survey_year=survey_year, school=school
            )
            _process, new = survey_start(school_survey=school_survey)
        started += new
    SurveyYear.objects.filter(pk=survey_year.pk, opened_at__isnull=True).update(
        opened_at=at or timezone.now()
    )
    return started


@transaction.atomic
def survey_year_reschedule(*, survey_year: SurveyYear) -> int:
    """Move the deadline and the armed timers of the year's open processes to its (new) close."""
    processes = BuildingSurveyProcess.objects.filter(survey_year=survey_year).exclude(
        status__in=[STATUS.DONE, STATUS.CANCELED]
    )
    processes.update(deadline=survey_year.closes)
    return Task.objects.filter(
        process__in=processes.values("pk"), flow_task_type="TIMER", status=STATUS.SCHEDULED
    ).update(scheduled=survey_year.closes)
