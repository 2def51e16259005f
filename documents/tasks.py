"""Celery tasks of the documents app: each takes ids and calls one service."""

import logging

from celery import shared_task

from schools.retries import retry_or_fail

from .models import SignedDocument
from .services import annex_fail, annex_render

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=3, default_retry_delay=30, acks_late=True)
def render_annex(self, document_id: int) -> str:
    """Render and sign a pending annex; a second run after success does nothing."""
    try:
        return annex_render(document_id=document_id).status
    except SignedDocument.DoesNotExist:
        logger.warning("Annex %s no longer exists", document_id)
        return "missing"
    except Exception as exc:
        retry_or_fail(
            self,
            exc,
            fail=lambda e: annex_fail(document_id=document_id, error=f"{type(e).__name__}: {e}"),
        )
