import hashlib
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from documents.models import Kind, SignedDocument
from documents.services import document_issue, document_issue_annex
from documents.tasks import render_annex
from documents.verify import document_check, pdf_verify
from schools.models import Grade

from ..factories import EnrollmentFactory, StudentFactory
from .conftest import ROSTER_BUILDER, issue, issue_annex


def test_issue_stores_a_signed_record(school, director):
    student = StudentFactory()
    document = issue(school, director, subject=student)
    document.refresh_from_db()
    data = document.file.read()
    assert document.status == SignedDocument.Status.READY
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert (document.size, document.pages) == (len(data), 1)
    assert document.actor_name == director.display_name
    assert document.actor_role == "ผู้อำนวยการโรงเรียนบ้านทดสอบ"
    assert document.subject == student
    assert document.file.name.endswith(f"{document.public_id}.pdf")
    assert document_check(document=document).ok


def test_same_step_twice_yields_one_document(school, director, staff):
    first = issue(school, director)
    again = issue(school, staff)  # a retry or a double click, even by someone else
    assert again.pk == first.pk
    assert again.actor_name == director.display_name
    assert SignedDocument.objects.count() == 1


def test_context_may_not_hide_the_record(school, director):
    with pytest.raises(ValueError):
        document_issue(
            step_key="x",
            kind=Kind.OTHER,
            template="documents/summary_record.html",
            context={"verify_url": "http://elsewhere.invalid/"},
            school=school,
            actor=director,
            actor_role="ผู้อำนวยการ",
            title="x",
        )
    assert not SignedDocument.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_of_one_step_leave_one_document(school, director):
    """Two requests signing the same step at once: both get the one stored record."""
    import threading

    barrier = threading.Barrier(2)
    results = []

    def sign():
        try:
            barrier.wait(timeout=5)
            results.append(issue(school, director, step_key="certification:race:certify").pk)
        finally:
            connection.close()

    def stored_files():
        folder = timezone.now().strftime("documents/%Y/%m")
        return set(default_storage.listdir(folder)[1]) if default_storage.exists(folder) else set()

    before = stored_files()
    threads = [threading.Thread(target=sign) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2 and results[0] == results[1]
    document = SignedDocument.objects.get(step_key="certification:race:certify")
    # Both rendered; the loser's file was removed when its insert hit the unique step key.
    assert stored_files() - before == {document.file.name.rsplit("/", 1)[1]}


@pytest.mark.postgres
def test_a_ready_document_cannot_be_changed_or_deleted(school, director):
    from django.db import DatabaseError, transaction

    document = issue(school, director)
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        SignedDocument.objects.filter(pk=document.pk).update(title="แก้ไข")
    with pytest.raises(DatabaseError, match="never deleted"), transaction.atomic():
        SignedDocument.objects.filter(pk=document.pk).delete()
    document.refresh_from_db()
    assert document_check(document=document).ok


@pytest.fixture
def roster(school):
    return [
        EnrollmentFactory(school=school, grade=grade, room=room)
        for grade, room in [(Grade.P1, 1), (Grade.P1, 2), (Grade.P3, 1)]
    ]


def test_annex_is_rendered_after_commit_and_attached(
    school, director, roster, django_capture_on_commit_callbacks
):
    parent = issue(school, director)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        annex = issue_annex(parent, school)
        # The short record never waits: the annex is pending until the task runs after commit.
        assert annex.status == SignedDocument.Status.PENDING
    assert len(callbacks) == 1
    annex.refresh_from_db()
    assert annex.status == SignedDocument.Status.READY
    assert (annex.parent, annex.school, annex.kind) == (parent, school, Kind.ROSTER_ANNEX)
    assert annex.actor_name == parent.actor_name
    assert document_check(document=annex).ok
    assert pdf_verify(data=annex.file.read()).valid


def test_annex_task_twice_leaves_one_file(
    school, director, roster, django_capture_on_commit_callbacks
):
    parent = issue(school, director)
    with django_capture_on_commit_callbacks(execute=True):
        annex = issue_annex(parent, school)
    annex.refresh_from_db()
    folder = annex.file.name.rsplit("/", 1)[0]
    files = default_storage.listdir(folder)[1]

    assert render_annex.delay(annex.pk).get() == SignedDocument.Status.READY
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = issue_annex(parent, school)  # the flow step retried
    assert again.pk == annex.pk and not callbacks
    again.refresh_from_db()
    assert (again.file.name, again.sha256) == (annex.file.name, annex.sha256)
    assert default_storage.listdir(folder)[1] == files
    assert SignedDocument.objects.filter(parent=parent).count() == 1


FAILED_BUILDS = []


def failing_builder(**kwargs):
    FAILED_BUILDS.append(kwargs)
    raise RuntimeError("the snapshot is not there")


def test_annex_that_keeps_failing_is_retried_then_marked_failed(
    school, director, django_capture_on_commit_callbacks
):
    parent = issue(school, director)
    with django_capture_on_commit_callbacks(execute=False):
        annex = document_issue_annex(
            parent=parent,
            step_key="annex:fails",
            template="documents/roster_annex.html",
            title="x",
            context_builder=f"{__name__}.failing_builder",
            context_kwargs={"school_id": school.pk},
        )
    # Let eager retries run as a worker would, instead of raising the first Retry.
    conf = render_annex.app.conf
    propagates, conf.task_eager_propagates = conf.task_eager_propagates, False
    FAILED_BUILDS.clear()
    try:
        result = render_annex.apply(args=[annex.pk])
    finally:
        conf.task_eager_propagates = propagates
    assert result.failed()
    assert len(FAILED_BUILDS) == 1 + render_annex.max_retries
    annex.refresh_from_db()
    assert annex.status == SignedDocument.Status.FAILED
    assert "RuntimeError" in annex.error
    assert not annex.file

    # When the flow step runs again, the failed annex is queued again (one row still).
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        again = document_issue_annex(
            parent=parent,
            step_key="annex:fails",
            template="documents/roster_annex.html",
            title="x",
            context_builder=f"{__name__}.failing_builder",
        )
    assert again.pk == annex.pk and len(callbacks) == 1


def test_annex_needs_one_context_source(school, director):
    parent = issue(school, director)
    for kwargs in ({}, {"context_builder": ROSTER_BUILDER, "context": {}}):
        with pytest.raises(ValueError):
            document_issue_annex(
                parent=parent, step_key="a", template="documents/roster_annex.html", title="x",
                **kwargs,
            )  # fmt: skip


def test_stored_record_stays_valid_after_its_certificate_expires(school, director, time_machine):
    document = issue(school, director)
    time_machine.move_to(timezone.now() + timedelta(days=4 * 365))
    data = default_storage.open(document.file.name).read()
    assert not pdf_verify(data=data).valid  # a bare file is judged now: the certificate expired
    assert document_check(document=document).ok  # the record is judged when it was signed
