"""Issue signed records: render, sign and store once per step, in the request or by Celery after
commit (``later``); long annexes always later, by Celery on a queue of their own.

A record is never updated: the only write after its insert is a pending record or annex becoming
ready (or failed) in ``document_render`` / ``document_fail``, and a failed one reset to pending
by ``annexes_requeue``.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from accounts.models import User
from accounts.outbox import task_send_on_commit
from schools.models import AreaOffice, School

from .models import Kind, SignedDocument
from .render import html_render, pdf_render, pdf_render_rows, qr_svg_data_uri
from .selectors import annexes_unrendered
from .signing import pdf_sign

SYSTEM_ACTOR_NAME = "ระบบ OpenDMC"
# Keys that every record template receives; a caller's context must not use them.
RESERVED_CONTEXT_KEYS = frozenset({"record", "verify_url", "qr"})


def verify_url(public_id) -> str:
    """Return the public address that verifies a record, as printed under its QR code."""
    return settings.VERIFY_BASE_URL.rstrip("/") + reverse("documents:verify", args=[public_id])


def _produce(
    document: SignedDocument,
    *,
    template: str,
    context: Mapping[str, Any],
    chunk_rows: int | None = None,
) -> tuple[bytes, int]:
    clash = RESERVED_CONTEXT_KEYS.intersection(context)
    if clash:
        raise ValueError(f"Reserved record context keys: {sorted(clash)}")
    url = verify_url(document.public_id)
    context = {**context, "record": document, "verify_url": url, "qr": qr_svg_data_uri(url)}
    if chunk_rows is not None and "rows" in context:
        rendered = pdf_render_rows(template=template, context=context, chunk_rows=chunk_rows)
    else:
        rendered = pdf_render(html=html_render(template=template, context=context))
    # One signature over the whole record, however many chunks it was laid out in.
    signed = pdf_sign(
        pdf=rendered.data,
        actor_name=document.actor_name,
        actor_role=document.actor_role,
        signed_at=document.signed_at,
        reason=document.title,
    )
    return signed, rendered.pages


def _attach(document: SignedDocument, data: bytes, pages: int) -> None:
    document.sha256 = hashlib.sha256(data).hexdigest()
    document.size = len(data)
    document.pages = pages
    document.file.save(f"{document.public_id}.pdf", ContentFile(data), save=False)


def document_issue(
    *,
    step_key: str,
    kind: str,
    template: str,
    context: Mapping[str, Any],
    school: School | None,
    actor: User | None,
    actor_role: str,
    title: str,
    subject: models.Model | None = None,
    area_office: AreaOffice | None = None,
    stated_at: datetime | None = None,
    later: bool = False,
) -> SignedDocument:
    """Render, sign and store the record of one step; return the existing one if the step has one.

    ``stated_at`` is the moment of the act the record attests, printed as its date (now if not
    given); the signature always carries the real moment of signing. The template receives the
    caller's context plus ``record`` (the document, with its ``public_id``, ``school``,
    ``actor_name``, ``actor_role``, ``dated_at``, ``signed_at``), ``verify_url`` and ``qr``.

    ``later`` stores the record pending, with its context as it is now (JSON), and has Celery
    render and sign it once the caller's transaction commits (``render_record``, on the default
    queue): the request that acts does not wait for the layout and the signature. The record
    still states what was true at the act, whatever changes before the worker takes it.
    """
    clash = RESERVED_CONTEXT_KEYS.intersection(context)
    if clash:
        raise ValueError(f"Reserved record context keys: {sorted(clash)}")
    existing = SignedDocument.objects.filter(step_key=step_key).first()
    if existing is not None:
        if not existing.is_ready:
            _enqueue_render(existing)
        return existing
    now = timezone.now()
    document = SignedDocument(
        step_key=step_key,
        kind=kind,
        title=title,
        school=school,
        area_office=area_office,
        actor=actor,
        actor_name=actor.display_name if actor else SYSTEM_ACTOR_NAME,
        actor_role=actor_role,
        created_at=now,
        stated_at=stated_at or now,
        signed_at=now,
        status=SignedDocument.Status.READY,
    )
    if subject is not None:
        document.subject_type = ContentType.objects.get_for_model(subject)
        document.subject_id = str(subject.pk)
    if later:
        document.status = SignedDocument.Status.PENDING
        document.signed_at = None
        document.template = template
        # Through JSON now: a context the worker could not read back fails the step, not the task.
        document.context_kwargs = json.loads(json.dumps(dict(context)))
    else:
        # Render and sign outside the transaction: it takes a fraction of a second and holds no
        # lock.
        data, pages = _produce(document, template=template, context=context)
        _attach(document, data, pages)
    try:
        with transaction.atomic():
            document.save(force_insert=True)
    except IntegrityError:
        # Another request issued the same step first: keep its record, drop this file.
        if document.file:
            document.file.delete(save=False)
        winner = SignedDocument.objects.filter(step_key=step_key).first()
        if winner is None:
            raise
        return winner
    if later:
        _enqueue_render(document)
    return document


def _render_task(*, annex: bool):
    from .tasks import render_annex, render_record  # the task module imports this one

    # Annexes have a queue of their own (production settings), rendered outside the peak; a
    # step's own record is wanted within seconds.
    return render_annex if annex else render_record


def _enqueue_render(document: SignedDocument) -> None:
    # Robust: the step's own state is committed by then; a record that cannot be queued (or, in
    # the embedded default, rendered in-process) must not turn that step into an error page. A
    # broker that is down keeps it in the outbox, queued again by beat when it is back.
    task = _render_task(annex=document.parent_id is not None)
    task_send_on_commit(task, document.pk, robust=True)


def document_issue_annex(
    *,
    parent: SignedDocument,
    step_key: str,
    template: str,
    title: str,
    kind: str = Kind.ROSTER_ANNEX,
    context_builder: str = "",
    context_kwargs: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
) -> SignedDocument:
    """Record a long annex to the parent's document set and render it by Celery after commit.

    Give either ``context_builder`` (the dotted path of a function that returns the template
    context, called with ``context_kwargs``) or ``context`` (JSON-serialisable, used as is).
    The annex is signed for the parent's signer; the parent never waits for it. An annex that
    lists more than ``settings.ANNEX_CHUNK_ROWS`` rows (``context["rows"]``) is laid out in
    chunks and signed once whole (``documents.render.pdf_render_rows``: its template receives
    ``chunk``).
    """
    if bool(context_builder) == (context is not None):
        raise ValueError("Give exactly one of context_builder and context.")
    if context_builder:
        import_string(context_builder)  # fail now, not in the worker
    existing = SignedDocument.objects.filter(step_key=step_key).first()
    if existing is not None:
        if existing.status != SignedDocument.Status.READY:
            _enqueue_render(existing)
        return existing
    annex = SignedDocument(
        step_key=step_key,
        kind=kind,
        title=title,
        parent=parent,
        school=parent.school,
        area_office=parent.area_office,
        subject_type=parent.subject_type,
        subject_id=parent.subject_id,
        actor=parent.actor,
        actor_name=parent.actor_name,
        actor_role=parent.actor_role,
        stated_at=parent.dated_at,
        status=SignedDocument.Status.PENDING,
        template=template,
        context_builder=context_builder,
        context_kwargs=dict(context_kwargs or {}) if context_builder else dict(context),
    )
    try:
        with transaction.atomic():
            annex.save(force_insert=True)
    except IntegrityError:
        winner = SignedDocument.objects.filter(step_key=step_key).first()
        if winner is None:
            raise
        return winner
    _enqueue_render(annex)
    return annex


def _stored_context(document: SignedDocument) -> dict[str, Any]:
    if document.context_builder:
        with translation.override("th"):  # labels computed by the builder print in Thai
            context = dict(import_string(document.context_builder)(**document.context_kwargs))
    else:
        context = dict(document.context_kwargs)
    if document.parent_id is not None:
        context.setdefault("parent", document.parent)
    return context


def document_render(*, document_id: int) -> SignedDocument:
    """Render and sign a pending record or annex; do nothing if it is already ready."""
    document = SignedDocument.objects.select_related("school", "area_office", "parent").get(
        pk=document_id
    )
    if document.is_ready:
        return document
    document.signed_at = timezone.now()
    data, pages = _produce(
        document,
        template=document.template,
        context=_stored_context(document),
        chunk_rows=settings.ANNEX_CHUNK_ROWS,
    )
    with transaction.atomic():
        # Two workers may render the same document; the row lock lets one of them store it.
        current = SignedDocument.objects.select_for_update().get(pk=document_id)
        if current.is_ready:
            return current
        _attach(document, data, pages)
        document.status = SignedDocument.Status.READY
        document.error = ""
        document.save(
            update_fields=["signed_at", "sha256", "size", "pages", "file", "status", "error"]
        )
    return document


def document_fail(*, document_id: int, error: str) -> None:
    """Mark a pending record or annex as failed after its last retry."""
    SignedDocument.objects.filter(pk=document_id).exclude(
        status=SignedDocument.Status.READY
    ).update(status=SignedDocument.Status.FAILED, error=error[:2000])


@dataclass(frozen=True)
class AnnexesRequeued:
    """How many annexes were (or, in a dry run, would be) queued again, by their former status."""

    pending: int
    failed: int

    @property
    def total(self) -> int:
        """Return the number of annexes queued."""
        return self.pending + self.failed


# Well under SQLite's 999 query parameters; PostgreSQL takes the same batches.
_RESET_BATCH = 500


def _enqueue_renders(documents: Sequence[tuple[int, bool]]) -> None:
    for document_id, annex in documents:
        _render_task(annex=annex).delay(document_id)


@transaction.atomic
def annexes_requeue(
    *,
    older_than: timedelta,
    include_failed: bool,
    school: School | None = None,
) -> AnnexesRequeued:
    """Queue the render of records and annexes left pending (a lost broker queue) and, if asked,
    failed ones, each to its own task's queue.

    Failed ones are reset to pending with their error cleared. Running it again is harmless:
    ``document_render`` leaves a ready record alone.
    """
    annexes = annexes_unrendered(
        older_than=older_than, include_failed=include_failed, school=school
    )
    pending, failed = [], []
    rows = annexes.values_list("pk", "status", "parent_id").iterator(chunk_size=2000)
    for pk, status, parent_id in rows:
        found = failed if status == SignedDocument.Status.FAILED else pending
        found.append((pk, parent_id is not None))
    for start in range(0, len(failed), _RESET_BATCH):
        # The status guard skips an annex rendered meanwhile (the database refuses to change a
        # ready one); queueing it anyway is harmless.
        SignedDocument.objects.filter(
            pk__in=[pk for pk, _annex in failed[start : start + _RESET_BATCH]],
            status=SignedDocument.Status.FAILED,
        ).update(status=SignedDocument.Status.PENDING, error="")
    document_ids = pending + failed
    # Not robust, unlike _enqueue_render: a broker that refuses them must fail the command, which
    # can simply be run again (the reset annexes are pending by then).
    transaction.on_commit(lambda: _enqueue_renders(document_ids))
    return AnnexesRequeued(pending=len(pending), failed=len(failed))
