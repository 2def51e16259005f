"""The API's reads: schools in reach, rosters, learners, rounds, counts, records, subsidy."""

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.permissions import access_school, can_see_full_ids
from census.allocation import school_allocation
from documents.selectors import access_document, documents_for_school
from schools.bulk import without_gc_pauses

from . import selectors
from .base import ACCEPT_LANGUAGE, ApiView
from .pagination import ApiCursor, CodeCursor, NewestCursor
from .serializers import (
    AllocationSerializer,
    CountsSerializer,
    LearnerSerializer,
    RecordSerializer,
    RoundSerializer,
    SchoolRoundSerializer,
    SchoolSerializer,
)

PROBLEM = OpenApiResponse(description=_("An RFC 9457 problem: type, title, status, detail, errors"))
ERRORS = {401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 429: PROBLEM}


class PagedListView(ApiView):
    """A list paged with a cursor."""

    pagination_class = ApiCursor
    serializer_class = None

    def paged(self, queryset, **context) -> Response:
        paginator = self.pagination_class()
        # A page of up to 1,000 rows makes two model objects a row and their dicts, none in a
        # cycle: the collector's passes over them (and its full passes over the whole process)
        # were a third of a 500-learner roster page's time on PostgreSQL.
        with without_gc_pauses():
            page = paginator.paginate_queryset(queryset, self.request, view=self)
            data = self.serializer_class(page, many=True, context=context).data
        return paginator.get_paginated_response(data)


class SchoolListView(PagedListView):
    """The schools the key reaches: its own school, or its area office's schools."""

    pagination_class = CodeCursor
    serializer_class = SchoolSerializer

    @extend_schema(
        operation_id="schools_list",
        parameters=[ACCEPT_LANGUAGE],
        responses={200: SchoolSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        return self.paged(selectors.api_schools(user=self.principal))


class SchoolDetailView(ApiView):
    """One school in reach."""

    @extend_schema(
        operation_id="schools_retrieve",
        parameters=[ACCEPT_LANGUAGE],
        responses={200: SchoolSerializer, **ERRORS},
    )
    def get(self, request, code):
        return Response(SchoolSerializer(access_school(self.principal, code)).data)


class RosterQuery(serializers.Serializer):
    updated_since = serializers.DateTimeField(
        required=False,
        help_text=_("only the enrollments changed since then, the ended ones included"),
    )


class RosterView(PagedListView):
    """A school's roster: its learners enrolled now, or those changed since a moment."""

    serializer_class = LearnerSerializer

    @extend_schema(
        operation_id="roster_list",
        parameters=[RosterQuery, ACCEPT_LANGUAGE],
        responses={200: LearnerSerializer(many=True), 400: PROBLEM, **ERRORS},
    )
    def get(self, request, code):
        school = access_school(self.principal, code)
        query = RosterQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        roster = selectors.api_roster(
            school=school, updated_since=query.validated_data.get("updated_since")
        )
        return self.paged(roster, full_ids=can_see_full_ids(self.principal, school))


class LearnerView(ApiView):
    """One learner with their enrollment at the school."""

    @extend_schema(
        operation_id="learner_retrieve",
        parameters=[ACCEPT_LANGUAGE],
        responses={200: LearnerSerializer, **ERRORS},
    )
    def get(self, request, code, public_id):
        school = access_school(self.principal, code)
        enrollment = selectors.api_learner(school=school, public_id=public_id)
        if enrollment is None:
            raise Http404
        full = can_see_full_ids(self.principal, school)
        return Response(LearnerSerializer(enrollment, context={"full_ids": full}).data)


class RoundListView(PagedListView):
    """The count rounds (as data: dates and windows)."""

    pagination_class = ApiCursor
    serializer_class = RoundSerializer

    @extend_schema(
        operation_id="rounds_list",
        parameters=[ACCEPT_LANGUAGE],
        responses={200: RoundSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        return self.paged(selectors.api_rounds(user=self.principal))


class RoundStatesView(PagedListView):
    """Each school's state in a round (schools in reach)."""

    serializer_class = SchoolRoundSerializer

    @extend_schema(
        operation_id="round_states_list",
        parameters=[ACCEPT_LANGUAGE],
        responses={200: SchoolRoundSerializer(many=True), **ERRORS},
    )
    def get(self, request, round_id):
        round = get_object_or_404(selectors.api_rounds(), pk=round_id)
        return self.paged(selectors.api_round_states(user=self.principal, round=round))


class RoundCountsView(PagedListView):
    """The certified counts of a round, per school in reach, per grade and sex."""

    serializer_class = CountsSerializer

    @extend_schema(
        operation_id="round_counts_list",
        parameters=[ACCEPT_LANGUAGE],
        responses={200: CountsSerializer(many=True), **ERRORS},
    )
    def get(self, request, round_id):
        round = get_object_or_404(selectors.api_rounds(), pk=round_id)
        return self.paged(selectors.api_round_counts(user=self.principal, round=round))


class RecordListView(PagedListView):
    """A school's signed records, newest first."""

    pagination_class = NewestCursor
    serializer_class = RecordSerializer

    @extend_schema(
        operation_id="records_list",
        parameters=[ACCEPT_LANGUAGE],
        responses={200: RecordSerializer(many=True), **ERRORS},
    )
    def get(self, request, code):
        school = access_school(self.principal, code)
        return self.paged(documents_for_school(school=school).prefetch_related(None))


class RecordDownloadView(ApiView):
    """A signed record's PDF."""

    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        # The PDF is a file, not a rendering; an error is JSON whatever the caller accepts.
        return JSONRenderer(), "application/json"

    @extend_schema(
        operation_id="record_download",
        parameters=[ACCEPT_LANGUAGE],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            **ERRORS,
        },
    )
    def get(self, request, code, public_id):
        school = access_school(self.principal, code)
        document = access_document(user=self.principal, public_id=public_id)
        if document.school_id != school.pk:
            raise Http404
        return FileResponse(
            document.file.storage.open(document.file.name, "rb"),
            as_attachment=True,
            filename=f"{document.kind}-{document.public_id}.pdf",
            content_type="application/pdf",
        )


class SubsidyView(ApiView):
    """A school's per-head subsidy for a term: count × rate = amount per grade and item."""

    @extend_schema(
        operation_id="subsidy_retrieve",
        parameters=[ACCEPT_LANGUAGE],
        responses={200: AllocationSerializer, **ERRORS},
    )
    def get(self, request, code, year, term):
        school = access_school(self.principal, code)
        if term not in (1, 2) or not 2500 <= year <= 2700:
            raise Http404
        allocation = school_allocation(school=school, academic_year=year, term=term)
        return Response(AllocationSerializer(allocation).data)
