"""Learners of a roster file who are still active at another school: a transfer request each (2.7.1).

The roster file's service (schools) cannot import the transfer flow, which stands above it: this
module registers itself with that service when the app loads (WorkflowsConfig.ready).
"""

from accounts.models import User
from schools.models import Student
from schools.roster_import import PlanRow

from .models import TransferProcess
from .requests import transfer_request


def transfer_requests_from_roster(rows: list[PlanRow], actor: User | None) -> int:
    """Ask each school that holds a learner of the file to release them, through the transfer flow;
    skip a learner whose request to the same school already waits; return how many were asked."""
    if actor is None:  # a request is someone's: a file applied without a person starts none
        return 0
    student_ids = [r.student_id for r in rows]
    students = Student.objects.in_bulk(student_ids)
    waiting = set(
        TransferProcess.objects.filter(student_id__in=student_ids, decision="").values_list(
            "student_id", "school_id"
        )
    )
    asked = 0
    for row in rows:
        if (row.student_id, row.school.pk) in waiting:
            continue
        requested = transfer_request(
            school=row.school,
            actor=actor,
            student=students[row.student_id],
            grade=row.row.grade,
            room=row.row.room,
        )
        # Left the other school since the file was checked: enrolled at once, nobody was asked.
        asked += not requested.enrolled_at_once
    return asked
