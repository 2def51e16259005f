"""Celery tasks of the documents app: each takes ids and calls one service."""

import logging

from celery import shared_task

from schools.retries import retry_or_fail

from .models import SignedDocument
from .services import document_fail, document_render

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=3, default_retry_delay=30, acks_late=True)
def render_annex(self, document_id: int) -> str:
    """Render and sign a pending annex (its own queue in production); a second run after success
    does nothing."""
    return _render(self, document_id)


@shared_task(bind=True, max_retries=3, default_retry_delay=30, acks_late=True)
def render_record(self, document_id: int) -> str:
    """Render and sign a step's pending record (the default queue); a second run after success
    does nothing."""
    return _render(self, document_id)


def _render(task, document_id: int) -> str:
    try:
        return document_render(document_id=document_id).status
    except SignedDocument.DoesNotExist:
        logger.warning("Document %s no longer exists", document_id)
        return "missing"
    except Exception as exc:
        retry_or_fail(
            task,
            exc,
            fail=lambda e: document_fail(document_id=document_id, error=f"{type(e).__name__}: {e}"),
        )
