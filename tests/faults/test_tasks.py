"""Faults in Celery work: a render or sign step that fails once is retried and leaves exactly one
signed document; an upload whose save fails once is retried and saves its rows once."""

from contextlib import contextmanager
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from documents import services as document_services
from documents.models import SignedDocument
from documents.tasks import render_annex
from documents.verify import document_check
from schools import services as school_services
from schools.models import Grade, Measurement, MeasurementUpload
from schools.tasks import process_measurement_upload

from ..documents.conftest import issue as issue_record
from ..documents.conftest import issue_annex
from ..factories import EnrollmentFactory


@contextmanager
def worker_retries(task):
    """Let eager retries run as a worker would, instead of raising the first Retry."""
    conf = task.app.conf
    kept = conf.changes.get("task_eager_propagates")
    conf.task_eager_propagates = False
    try:
        yield
    finally:
        # Back to what the settings say: a value left in app.conf would hide a later test's
        # settings.CELERY_TASK_EAGER_PROPAGATES (tests/accounts/test_mail_queue.py).
        conf.changes.pop("task_eager_propagates", None)
        if kept is not None:
            conf.task_eager_propagates = kept


@contextmanager
def fails_once(module, name, exc):
    """Make module.name raise exc on its first call only; yield the list of calls."""
    original = getattr(module, name)
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise exc
        return original(*args, **kwargs)

    setattr(module, name, flaky)
    try:
        yield calls
    finally:
        setattr(module, name, original)


@contextmanager
def fails_always(module, name, exc):
    """Make module.name raise exc on every call; yield the list of calls."""
    original = getattr(module, name)
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise exc

    setattr(module, name, broken)
    try:
        yield calls
    finally:
        setattr(module, name, original)


def issue(school, actor):
    return issue_record(school, actor, step_key="faults:certify")


def annex_of(parent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        return issue_annex(parent, parent.school)


def test_the_annex_task_is_retried_and_idempotent():
    assert render_annex.max_retries >= 1 and render_annex.acks_late
    assert process_measurement_upload.max_retries >= 1 and process_measurement_upload.acks_late


# An annex is rendered by pdf_render_rows (whole, or in chunks when long), then signed.
@pytest.mark.parametrize("step", ["pdf_sign", "pdf_render_rows"])
def test_an_annex_that_fails_once_is_retried_into_one_document(
    school, director, step, django_capture_on_commit_callbacks
):
    EnrollmentFactory(school=school, grade=Grade.P3)
    parent = issue(school, director)
    annex = annex_of(parent, django_capture_on_commit_callbacks)
    with (
        worker_retries(render_annex),
        fails_once(document_services, step, RuntimeError("the signing service hung up")) as calls,
    ):
        result = render_annex.apply(args=[annex.pk])
    assert result.successful(), result.traceback
    assert len(calls) == 2  # the failure, then the retry
    annex.refresh_from_db()
    assert annex.status == SignedDocument.Status.READY and annex.error == ""
    assert document_check(document=annex).ok
    assert SignedDocument.objects.filter(step_key=annex.step_key).count() == 1
    # A late duplicate delivery (acks_late) finds the work done and changes nothing.
    sha = annex.sha256
    assert render_annex.apply(args=[annex.pk]).get() == SignedDocument.Status.READY
    annex.refresh_from_db()
    assert annex.sha256 == sha
    assert SignedDocument.objects.count() == 2  # the record and its annex


def test_a_record_whose_signing_fails_is_not_stored_and_the_step_can_run_again(school, director):
    with fails_once(document_services, "pdf_sign", OSError("HSM unreachable")):
        with pytest.raises(OSError):
            issue(school, director)
        assert not SignedDocument.objects.exists()
        document = issue(school, director)  # the flow step runs again
    assert document_check(document=document).ok
    assert issue(school, director).pk == document.pk
    assert SignedDocument.objects.count() == 1


def queued_upload(client, school, capture) -> MeasurementUpload:
    """Post a three-learner weight/height file that goes through Celery; return its upload."""
    room = [EnrollmentFactory(school=school, started_on=date(2026, 5, 16)) for _ in range(3)]
    today = timezone.localdate().isoformat()
    data = "เลขประจำตัว,น้ำหนัก,ส่วนสูง,วันที่ชั่งวัด\n" + "".join(
        f"{e.student.citizen_id},25,120,{today}\n" for e in room
    )
    with capture(execute=False) as callbacks:
        client.post(
            reverse("schools:upload", args=[school.code]),
            {"file": SimpleUploadedFile("wh.csv", data.encode())},
        )
    upload = MeasurementUpload.objects.get()
    assert upload.status == MeasurementUpload.Status.QUEUED and len(callbacks) == 1
    return upload


def test_an_upload_whose_save_fails_once_is_retried_and_saved_once(
    client_as, staff, school, settings, django_capture_on_commit_callbacks
):
    settings.MEASUREMENT_UPLOAD_ASYNC_ROWS = 1  # through Celery
    upload = queued_upload(client_as(staff), school, django_capture_on_commit_callbacks)
    with (
        worker_retries(process_measurement_upload),
        fails_once(
            school_services, "measurements_record", OperationalError("server closed the connection")
        ) as calls,
    ):
        result = process_measurement_upload.apply(args=[upload.pk])
    assert result.successful(), result.traceback
    assert len(calls) == 2
    upload.refresh_from_db()
    assert upload.status == MeasurementUpload.Status.DONE and upload.created_count == 3
    assert Measurement.objects.count() == 3
    assert process_measurement_upload.apply(args=[upload.pk]).get() == "done"
    assert Measurement.objects.count() == 3


def test_an_upload_whose_save_always_fails_ends_failed_after_its_retries(
    client_as, staff, school, settings, django_capture_on_commit_callbacks
):
    settings.MEASUREMENT_UPLOAD_ASYNC_ROWS = 1  # through Celery
    client = client_as(staff)
    upload = queued_upload(client, school, django_capture_on_commit_callbacks)
    lost = OperationalError("server closed the connection")
    with (
        worker_retries(process_measurement_upload),
        fails_always(school_services, "measurements_record", lost) as calls,
    ):
        result = process_measurement_upload.apply(args=[upload.pk])
    assert result.failed() and isinstance(result.result, OperationalError)
    assert len(calls) == process_measurement_upload.max_retries + 1
    upload.refresh_from_db()
    assert upload.status == MeasurementUpload.Status.FAILED
    assert [e["line"] for e in upload.errors] == [0]
    assert upload.errors[0]["message"].endswith("(OperationalError)")
    assert not Measurement.objects.exists()
