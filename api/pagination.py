"""Cursor paging: a stable order, opaque next/previous links, no page counted twice."""

from rest_framework.pagination import CursorPagination


class ApiCursor(CursorPagination):
    """Page by primary key (a learner changed while a system pages is not skipped or repeated)."""

    ordering = ("pk",)
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class CodeCursor(ApiCursor):
    ordering = ("code",)


class NewestCursor(ApiCursor):
    ordering = ("-created_at", "-pk")
