"""The certification flow: one process per school per count round.

start → prepare [staff] → confirm [staff, confirm window] → confirmation record
      → certify [director, certify window] → certified? → snapshot + certification record (+ annex)
                                               └ sent back → send-back record → confirm again
      → acknowledge [area officer] → acknowledgement record → end
Every waiting step times out at the close of the certify window (the area office's own when the
ministry staggered the round) → missed → end. The ministry may
move that close while the round is open (workflows.services.round_change moves the deadline and
the timers): a timer that fires although the deadline has moved later sends the school back to its
step instead.
Each decision issues its record, which the default-queue worker renders and signs after the
step's commit (documents.services.document_issue, ``later``); prepare has none
(docs/design-notes.md says why).
"""

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import act, flow

from census.models import SchoolRound
from census.selectors import windows_for

from . import services, views
from .flowbase import SchoolScopedFlowMixin, process_deadline, process_deadline_passed
from .models import CertificationProcess


def _state(activation) -> str:
    return activation.process.school_round.state


class CertificationFlow(SchoolScopedFlowMixin, flow.Flow):
    process_class = CertificationProcess
    process_title = _("DMC count: confirm and certify")
    process_description = _(
        "Staff confirm and the director certifies the school's learners on the count day."
    )

    start = (
        flow.StartHandle(this.start_process)
        .Annotation(title=_("Open the count day"))
        .Next(this.route_start)
    )
    # The step the school's state calls for: at the start, and after a timer that fired early.
    route_start = (
        flow.Switch()
        .Annotation(title=_("Find the school's step"))
        .Case(this.certify, lambda activation: _state(activation) == SchoolRound.State.CONFIRMED)
        .Case(this.confirm, lambda activation: _state(activation) == SchoolRound.State.PREPARED)
        .Default(this.prepare)
    )
    prepare = (
        flow.View(views.PrepareView.as_view())
        .Annotation(title=_("Check and prepare the data"))
        .Permission("schools.keep_roster", obj=lambda p: p.coerced.school)
        .OnTimeout(process_deadline, this.timed_out, title=_("Deadline"))
        .Next(this.confirm)
    )
    confirm = (
        flow.View(views.ConfirmView.as_view())
        .Annotation(title=_("Confirm the data (staff)"))
        .Permission("schools.confirm_round", obj=lambda p: p.coerced.school)
        .OnTimeout(process_deadline, this.timed_out, title=_("Deadline"))
        .Next(this.record_confirmation)
    )
    record_confirmation = (
        flow.Function(this.sign_confirmation)
        .Annotation(title=_("Record the confirmation"))
        .Next(this.certify)
    )
    certify = (
        flow.View(views.CertifyView.as_view())
        .Annotation(title=_("Certify the data (director)"))
        .Permission("schools.certify_round", obj=lambda p: p.coerced.school)
        .OnTimeout(process_deadline, this.timed_out, title=_("Deadline"))
        .Next(this.decided)
    )
    # The dispatcher may fire a timer it found due just before the ministry moved the close later
    # (it does not read the moment again): the deadline, read under the process's lock, decides.
    timed_out = (
        flow.If(process_deadline_passed)
        .Annotation(title=_("Check the deadline"))
        .Then(this.missed)
        .Else(this.route_start)
    )
    decided = (
        flow.If(act.process.certified)
        .Then(this.record_certification)
        .Else(this.record_send_back)
        .Annotation(title=_("The director's decision"))
    )
    record_send_back = (
        flow.Function(this.sign_send_back)
        .Annotation(title=_("Record the send-back"))
        .Next(this.confirm)
    )
    record_certification = (
        flow.Function(this.sign_certification)
        .Annotation(title=_("Record the certification"))
        .Next(this.acknowledge)
    )
    acknowledge = (
        flow.View(views.AcknowledgeView.as_view())
        .Annotation(title=_("Acknowledge the certification (area office)"))
        .Permission("schools.acknowledge_round", obj=lambda p: p.coerced.school.area_office)
        .Next(this.record_acknowledgement)
    )
    record_acknowledgement = (
        flow.Function(this.sign_acknowledgement)
        .Annotation(title=_("Record the acknowledgement"))
        .Next(this.end)
    )
    missed = (
        flow.Function(this.mark_missed)
        .Annotation(title=_("Record the missed deadline"))
        .Next(this.end_missed)
    )
    end = flow.End().Annotation(title=_("Done"))
    end_missed = flow.End().Annotation(title=_("Closed: deadline missed"))

    def start_process(self, activation, school_round):
        process = activation.process
        process.school_round = school_round
        process.school_id = school_round.school_id
        process.round_id = school_round.round_id
        # The close of the certify window of the school's area office (its own, when staggered).
        process.deadline = windows_for(
            round=school_round.round, area_office_id=school_round.school.area_office_id
        ).certify_closes
        return process

    def sign_confirmation(self, activation):
        # One record per confirmation: a rejected and re-confirmed round has two.
        confirm_task = activation.task.previous.get()
        services.confirmation_record(process=activation.process, confirm_task_id=confirm_task.pk)

    def sign_send_back(self, activation):
        # One record per send-back, named by the certify task that decided it (before the gateway).
        certify_task = activation.task.previous.get().previous.get()
        services.send_back_record(process=activation.process, certify_task_id=certify_task.pk)

    def sign_certification(self, activation):
        services.certification_record(process=activation.process)

    def sign_acknowledgement(self, activation):
        services.acknowledgement_record(process=activation.process)

    def mark_missed(self, activation):
        services.certification_missed(process=activation.process)
