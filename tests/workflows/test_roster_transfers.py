"""A roster file's learner still active at another school becomes a transfer request to that
school, through the transfer flow: never a second active enrollment."""

import io

from django.core.management import call_command

from schools.models import EnrollmentStatus, RosterImport
from workflows.models import TransferProcess

from ..factories import EnrollmentFactory, StudentFactory, make_citizen_id
from ..schools.test_roster_import import csv_bytes, line
from ..schools.test_roster_pages import upload


def held_elsewhere(other_school):
    student = StudentFactory()
    EnrollmentFactory(school=other_school, student=student)
    return student, line(student.citizen_id, first=student.first_name_th, last=student.last_name_th)


def run(*args):
    out = io.StringIO()
    call_command("import_roster", *args, stdout=out)
    return out.getvalue()


def test_the_command_asks_the_holding_school_to_release_the_learner(
    tmp_path, staff, school, other_school
):
    student, row = held_elsewhere(other_school)
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes([row, line(make_citizen_id())]))
    out = run(school.code, str(path), "--apply", "--actor", staff.username)
    assert "1 transfer requests" in out
    process = TransferProcess.objects.get()
    assert (process.school, process.releasing_school, process.student) == (
        school, other_school, student
    )  # fmt: skip
    assert list(student.enrollments.values_list("school", "status")) == [
        (other_school.pk, EnrollmentStatus.ACTIVE)
    ]
    # The same file again: the request already waits, no second one.
    assert "0 transfer requests" in run(school.code, str(path), "--apply", "--actor", "staff")
    assert TransferProcess.objects.count() == 1


def test_a_file_applied_without_a_person_starts_no_request(tmp_path, school, other_school):
    _student, row = held_elsewhere(other_school)
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes([row]))
    assert "0 transfer requests" in run(school.code, str(path), "--apply")
    assert not TransferProcess.objects.exists()


def test_the_page_applies_the_file_and_sends_the_requests(
    client_as, staff, school, other_school, django_capture_on_commit_callbacks
):
    student, row = held_elsewhere(other_school)
    client = client_as(staff)
    detail = upload(client, school, csv_bytes([row]))["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(detail)
    assert RosterImport.objects.get().outcome["transfers"] == 1
    process = TransferProcess.objects.get(student=student)
    assert process.releasing_school == other_school
