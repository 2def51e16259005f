"""Reads of signed records: who may see which, and the lists the pages show."""

from datetime import timedelta
from uuid import UUID

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from accounts.permissions import can_view_document
from schools.models import School

from .models import SignedDocument


def access_document(*, user: User, public_id: UUID) -> SignedDocument:
    """Return a ready record the user may download; raise Http404 otherwise."""
    document = (
        SignedDocument.objects.select_related("school__area_office", "area_office")
        .filter(public_id=public_id, status=SignedDocument.Status.READY)
        .first()
    )
    if document is None or not can_view_document(user, document):
        raise Http404
    return document


def document_public(*, public_id: UUID) -> SignedDocument:
    """Return any record by its public id, for the public verification page; raise Http404 otherwise."""
    document = (
        SignedDocument.objects.select_related("school", "area_office", "parent")
        .filter(public_id=public_id)
        .first()
    )
    if document is None:
        raise Http404
    return document


def documents_for_school(*, school: School) -> QuerySet[SignedDocument]:
    """Return the school's records, newest first, each with its annexes."""
    annexes = SignedDocument.objects.order_by("created_at", "pk")
    return (
        SignedDocument.objects.filter(school=school, parent__isnull=True)
        .prefetch_related(Prefetch("annexes", queryset=annexes))
        .order_by("-created_at", "-pk")
    )


def annexes_unrendered(
    *, older_than: timedelta, include_failed: bool, school: School | None = None
) -> QuerySet[SignedDocument]:
    """Return the annexes pending since at least ``older_than`` and, if asked, the failed ones."""
    # A failed annex is past its retries however young it is: the age applies to pending ones only.
    stranded = Q(status=SignedDocument.Status.PENDING, created_at__lte=timezone.now() - older_than)
    if include_failed:
        stranded |= Q(status=SignedDocument.Status.FAILED)
    annexes = SignedDocument.objects.filter(stranded)
    if school is not None:
        annexes = annexes.filter(school=school)
    return annexes.order_by("pk")
