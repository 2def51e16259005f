"""The approval flows: each a short graph; the work is in workflows.requests.

dropout      start → approve [area officer] → record → end
id_correction start → notify (e-mail links) → decide (completed from the link) → record → end
                                              .OnTimeout(links expire) → expire → end
transfer     start → release [releasing school's staff] → record → end
gcode        start → verify [area officer] → record → end
"""

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from . import request_views as views
from . import requests
from .flowbase import RequestScopedFlowMixin, SchoolScopedFlowMixin
from .models import Decision, DropoutProcess, GCodeProcess, IdCorrectionProcess, TransferProcess


class DropoutFlow(SchoolScopedFlowMixin, flow.Flow):
    process_class = DropoutProcess
    process_title = _("Dropout or removal (2.7.6)")

    start = flow.StartHandle(this.start_request).Annotation(title=_("Request")).Next(this.approve)
    approve = (
        flow.View(views.DropoutDecisionView.as_view())
        .Annotation(title=_("Approve a dropout or removal"))
        .Permission("schools.approve_dropout", obj=lambda p: p.coerced.school.area_office)
        .Next(this.record)
    )
    record = flow.Function(this.sign).Annotation(title=_("Record the decision")).Next(this.end)
    end = flow.End().Annotation(title=_("Done"))

    def start_request(self, activation, enrollment, actor, kind, reason, reason_note, effective_on):
        p = activation.process
        p.school_id, p.enrollment, p.student_id = (
            enrollment.school_id,
            enrollment,
            enrollment.student_id,
        )
        p.requested_by, p.kind, p.reason, p.reason_note, p.effective_on = (
            actor,
            kind,
            reason,
            reason_note,
            effective_on,
        )
        return p

    def sign(self, activation):
        requests.dropout_record(process=activation.process)


class IdCorrectionFlow(RequestScopedFlowMixin, flow.Flow):
    process_class = IdCorrectionProcess
    process_title = _("Citizen-ID correction (by e-mail)")

    start = flow.StartHandle(this.start_request).Annotation(title=_("Request")).Next(this.notify)
    notify = (
        flow.Function(this.send_links).Annotation(title=_("E-mail the approvers")).Next(this.decide)
    )
    decide = (
        flow.Handle(this.apply_decision)
        .Annotation(title=_("Decide from the e-mailed link"))
        .OnTimeout(lambda activation: activation.process.deadline, this.expire, title=_("Deadline"))
        .Next(this.record)
    )
    record = flow.Function(this.sign).Annotation(title=_("Record the decision")).Next(this.end)
    expire = (
        flow.Function(this.mark_expired)
        .Annotation(title=_("Record the expiry"))
        .Next(this.end_expired)
    )
    end = flow.End().Annotation(title=_("Done"))
    end_expired = flow.End().Annotation(title=_("Closed: links expired"))

    def start_request(self, activation, student, school, actor, new_citizen_id, deadline):
        p = activation.process
        p.student, p.school, p.requested_by = student, school, actor
        p.old_citizen_id, p.old_gcode = student.citizen_id or "", student.gcode or ""
        p.new_citizen_id, p.deadline = new_citizen_id, deadline
        return p

    def send_links(self, activation):
        requests.id_correction_send_links(process=activation.process)

    def apply_decision(self, activation, actor, decision, comment):
        return requests.id_correction_decide(
            process=activation.process, actor=actor, decision=decision, comment=comment
        )

    def sign(self, activation):
        requests.id_correction_record(process=activation.process)

    def mark_expired(self, activation):
        requests.id_correction_expire(process=activation.process)


class TransferFlow(RequestScopedFlowMixin, flow.Flow):
    process_class = TransferProcess
    process_title = _("Transfer in (2.7.1)")

    start = flow.StartHandle(this.start_request).Annotation(title=_("Request")).Next(this.release)
    release = (
        flow.View(views.TransferReleaseView.as_view())
        .Annotation(title=_("Release a learner to another school"))
        .Permission("schools.keep_roster", obj=lambda p: p.coerced.releasing_school)
        .Next(this.record)
    )
    record = flow.Function(this.sign).Annotation(title=_("Record the decision")).Next(this.end)
    end = flow.End().Annotation(title=_("Done"))

    def start_request(self, activation, school, actor, student, releasing_school, grade, room):
        p = activation.process
        p.school, p.requested_by, p.student = school, actor, student
        p.releasing_school, p.grade, p.room = releasing_school, grade, room
        return p

    def sign(self, activation):
        requests.transfer_record(process=activation.process)


class GCodeFlow(SchoolScopedFlowMixin, flow.Flow):
    process_class = GCodeProcess
    process_title = _("G-code for a learner without civil registration")

    start = flow.StartHandle(this.start_request).Annotation(title=_("Request")).Next(this.verify)
    verify = (
        flow.View(views.GCodeDecisionView.as_view())
        .Annotation(title=_("Verify and issue a G-code"))
        .Permission("schools.approve_gcode", obj=lambda p: p.coerced.school.area_office)
        .Next(this.record)
    )
    record = flow.Function(this.sign).Annotation(title=_("Record the decision")).Next(this.end)
    end = flow.End().Annotation(title=_("Done"))

    def start_request(self, activation, school, actor, **learner):
        p = activation.process
        p.school, p.requested_by = school, actor
        for name, value in learner.items():
            setattr(p, name, value)
        return p

    def sign(self, activation):
        requests.gcode_record(process=activation.process)


DECISIONS = (Decision.APPROVED, Decision.REJECTED)
