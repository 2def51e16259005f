"""manage.py requeue_annexes: annexes stranded by a lost broker queue, or failed, rendered again."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from documents.models import SignedDocument
from documents.services import document_fail
from documents.verify import document_check, pdf_verify

from .conftest import issue, issue_annex


@pytest.fixture
def clock(time_machine):
    """Freeze the clock now; the annex made here is an hour old by the time the command runs."""
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


def pending_annex(school, actor, django_capture_on_commit_callbacks, name="roster"):
    """Issue a record and its annex, and drop the annex's queued render as a lost queue would."""
    parent = issue(school, actor, step_key=f"certification:{school.code}:{name}")
    with django_capture_on_commit_callbacks(execute=False):
        return issue_annex(parent, school)


def requeue(capture, *args) -> str:
    out = StringIO()
    with capture(execute=True):
        call_command("requeue_annexes", *args, stdout=out)
    return out.getvalue()


def status_of(annex) -> str:
    annex.refresh_from_db()
    return annex.status


def test_stale_pending_annex_is_rendered_and_a_fresh_one_waits(
    school, director, clock, django_capture_on_commit_callbacks
):
    stale = pending_annex(school, director, django_capture_on_commit_callbacks, "stale")
    clock.shift(timedelta(minutes=31))
    fresh = pending_annex(school, director, django_capture_on_commit_callbacks, "fresh")
    clock.shift(timedelta(minutes=29))

    out = requeue(django_capture_on_commit_callbacks)

    assert "Re-queued 1 records and annexes (1 pending, 0 failed)" in out
    assert status_of(stale) == SignedDocument.Status.READY
    assert document_check(document=stale).ok
    assert pdf_verify(data=stale.file.read()).valid
    assert status_of(fresh) == SignedDocument.Status.PENDING
    requeue(django_capture_on_commit_callbacks, "--older-than", "0")
    assert status_of(fresh) == SignedDocument.Status.READY


def test_failed_annex_is_retried_only_with_failed(
    school, director, clock, django_capture_on_commit_callbacks
):
    annex = pending_annex(school, director, django_capture_on_commit_callbacks)
    document_fail(document_id=annex.pk, error="OSError: the disk was full")
    clock.shift(timedelta(hours=1))

    assert "Re-queued 0 records and annexes" in requeue(django_capture_on_commit_callbacks)
    assert status_of(annex) == SignedDocument.Status.FAILED
    assert annex.error == "OSError: the disk was full"

    out = requeue(django_capture_on_commit_callbacks, "--failed")
    assert "Re-queued 1 records and annexes (0 pending, 1 failed)" in out
    assert status_of(annex) == SignedDocument.Status.READY
    assert annex.error == ""
    assert document_check(document=annex).ok


def test_dry_run_lists_and_changes_nothing(
    school, director, clock, django_capture_on_commit_callbacks
):
    pending = pending_annex(school, director, django_capture_on_commit_callbacks, "a")
    failed = pending_annex(school, director, django_capture_on_commit_callbacks, "b")
    document_fail(document_id=failed.pk, error="RuntimeError: boom")
    clock.shift(timedelta(hours=1))
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        call_command("requeue_annexes", "--failed", "--dry-run", stdout=out)

    assert not callbacks
    assert pending.step_key in out.getvalue() and failed.step_key in out.getvalue()
    assert "Would re-queue 2 records and annexes (1 pending, 1 failed)" in out.getvalue()
    assert status_of(pending) == SignedDocument.Status.PENDING
    assert (status_of(failed), failed.error) == (SignedDocument.Status.FAILED, "RuntimeError: boom")


def test_school_option_requeues_that_school_only(
    school,
    director,
    other_school,
    other_school_director,
    clock,
    django_capture_on_commit_callbacks,
):
    mine = pending_annex(school, director, django_capture_on_commit_callbacks)
    theirs = pending_annex(other_school, other_school_director, django_capture_on_commit_callbacks)
    clock.shift(timedelta(hours=1))

    out = requeue(django_capture_on_commit_callbacks, "--school", other_school.code)

    assert "Re-queued 1 records and annexes" in out
    assert status_of(theirs) == SignedDocument.Status.READY
    assert status_of(mine) == SignedDocument.Status.PENDING


def test_running_twice_before_the_worker_leaves_one_file(
    school, director, clock, django_capture_on_commit_callbacks
):
    annex = pending_annex(school, director, django_capture_on_commit_callbacks)
    clock.shift(timedelta(hours=1))

    # Both runs queue it before any worker takes it: two render tasks for one annex.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        call_command("requeue_annexes", stdout=StringIO())
        call_command("requeue_annexes", stdout=StringIO())
    assert len(callbacks) == 2
    for queued in callbacks:
        queued()

    assert status_of(annex) == SignedDocument.Status.READY
    folder = annex.file.name.rsplit("/", 1)[0]
    stored = [name for name in default_storage.listdir(folder)[1] if str(annex.public_id) in name]
    assert stored == [annex.file.name.rsplit("/", 1)[1]]
    assert document_check(document=annex).ok


def test_a_stranded_step_record_is_queued_to_its_own_task_and_signed(
    school, director, clock, django_capture_on_commit_callbacks, monkeypatch
):
    """A step's record signed after the commit (later=True) whose task the broker lost goes back
    to render_record, the default queue's, not to the annexes' off-peak queue."""
    from documents.tasks import render_annex, render_record

    with django_capture_on_commit_callbacks(execute=False):
        record = issue(school, director, step_key="certification:1:confirm", later=True)
    assert (record.status, record.file.name) == (SignedDocument.Status.PENDING, "")
    clock.shift(timedelta(minutes=31))
    sent = []
    for task in (render_record, render_annex):  # which task each is sent to; it still runs
        monkeypatch.setattr(
            task,
            "delay",
            lambda pk, task=task, run=task.delay: sent.append((task.name, pk)) or run(pk),
        )
    out = requeue(django_capture_on_commit_callbacks)
    assert "Re-queued 1 records and annexes (1 pending, 0 failed)" in out
    assert sent == [("documents.tasks.render_record", record.pk)]
    assert status_of(record) == SignedDocument.Status.READY
    assert document_check(document=record).ok


def test_a_record_for_later_must_keep_its_context_as_json(school, director):
    from datetime import date

    with pytest.raises(TypeError):
        issue(school, director, context={"as_of": date(2026, 11, 10)}, later=True)
    assert not SignedDocument.objects.exists()
