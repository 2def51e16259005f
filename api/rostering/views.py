"""OneRoster 1.2 Rostering, read-only, REST/JSON binding, under /ims/oneroster/rostering/v1p2/.

The same keys, scopes, rate limits and reach as /api/v1/ (``ApiView``); an object outside the
key's reach is 404, as one that does not exist. Errors are imsx_StatusInfo objects. Left out of
the OpenAPI schema: the standard publishes its own."""

import uuid
from urllib.parse import urlencode

from django.http import Http404
from rest_framework.response import Response

from accounts.permissions import access_school

from ..base import ApiView
from ..problems import exception_handler as problem_handler
from . import records, selectors
from .query import (
    Field,
    Query,
    QueryError,
    filter_q,
    filter_rows,
    parse_day,
    parse_query,
    parse_when,
    select_fields,
    sort_rows,
)

STATUS = Field("roster_active", lambda text: {"active": True, "tobedeleted": False}[text])
CODE_MINOR = {
    400: "invaliddata",
    401: "unauthorisedrequest",
    403: "forbidden",
    404: "unknownobject",
    405: "invaliddata",
    429: "server_busy",
}


def status_info(status: int, description: str, code_minor: str) -> dict:
    """Return OneRoster's error body (imsx_StatusInfo)."""
    return {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": description,
        "imsx_CodeMinor": {
            "imsx_codeMinorField": [
                {
                    "imsx_codeMinorFieldName": "TargetEndSystem",
                    "imsx_codeMinorFieldValue": code_minor,
                }
            ]
        },
    }


def rostering_exception_handler(exc, context):
    """Answer every error of the rostering service as an imsx_StatusInfo, in the caller's language."""
    if isinstance(exc, QueryError):
        return Response(status_info(400, str(exc), exc.code_minor), status=400)
    problem = problem_handler(exc, context)
    if problem is None:
        return None
    data = problem.data
    description = " ".join(part for part in (data.get("title"), data.get("detail")) if part)
    response = Response(
        status_info(problem.status_code, description, CODE_MINOR.get(problem.status_code, "")),
        status=problem.status_code,
    )
    for header in ("WWW-Authenticate", "Retry-After"):
        if header in problem:
            response[header] = problem[header]
    return response


class RosteringView(ApiView):
    """A read of the rostering service: a collection (``{"users": [...]}``) or one record."""

    schema = None  # not in /api/v1/schema/: OneRoster's own OpenAPI files describe it
    collection = ""  # the envelope of a list: "users"
    item = ""  # the envelope of one record: "user"
    fields: dict[str, Field] = {}
    shown: tuple[str, ...] = ()

    def get_exception_handler(self):
        return rostering_exception_handler

    def refs(self) -> records.Refs:
        return records.Refs(self.request)

    def query(self) -> Query:
        return parse_query(self.request.query_params, fields=self.fields, shown=self.shown)

    def one(self, record: dict | None) -> Response:
        """Answer one record (or 404), with only the selected fields."""
        if record is None:
            raise Http404
        return Response({self.item: select_fields(record, self.query())})

    def page_of_rows(self, rows: list[dict]) -> Response:
        """Filter, sort and page records built in memory (the small collections)."""
        query = self.query()
        rows = sort_rows(filter_rows(rows, query, self.fields), query)
        page = rows[query.offset : query.offset + query.limit]
        return self.paged([select_fields(row, query) for row in page], query, len(rows))

    def page_of_queryset(self, queryset, render) -> Response:
        """Filter, sort and page a queryset in the database: a count and one page, whatever the
        page's size (the renderer's prefetches add a fixed number of queries)."""
        query = self.query()
        queryset = queryset.filter(filter_q(query, self.fields))
        if query.sort:
            lookup = self.fields[query.sort].lookup
            queryset = queryset.order_by(f"-{lookup}" if query.descending else lookup, "pk")
        total = queryset.count()
        page = queryset[query.offset : query.offset + query.limit]
        return self.paged([select_fields(render(obj), query) for obj in page], query, total)

    def paged(self, rows: list[dict], query: Query, total: int) -> Response:
        response = Response({self.collection: rows})
        response["X-Total-Count"] = str(total)
        last = max(0, (total - 1) // query.limit * query.limit)
        links = {"first": 0, "last": last}
        if query.offset + query.limit < total:
            links["next"] = query.offset + query.limit
        if query.offset > 0:
            links["prev"] = max(0, query.offset - query.limit)
        response["Link"] = ", ".join(
            f'<{self._at(offset, query.limit)}>; rel="{rel}"' for rel, offset in links.items()
        )
        return response

    def _at(self, offset: int, limit: int) -> str:
        params = self.request.query_params.copy()
        params["offset"] = str(offset)
        params["limit"] = str(limit)
        return (
            self.request.build_absolute_uri(self.request.path)
            + "?"
            + urlencode(sorted(params.items()))
        )


TEXT = Field()
MODIFIED = Field(value=parse_when)
DAY = Field(value=parse_day)


class OrgsMixin:
    collection, item = "orgs", "org"
    fields = {
        "sourcedId": TEXT,
        "status": TEXT,
        "dateLastModified": MODIFIED,
        "name": TEXT,
        "type": TEXT,
        "identifier": TEXT,
        "parent": TEXT,
    }
    shown = (*fields, "metadata", "children")

    def orgs(self, *, schools_only: bool = False) -> list[dict]:
        refs = self.refs()
        schools = list(selectors.rostering_schools(user=self.principal))
        found = [records.school_record(refs, school) for school in schools]
        if not schools_only:
            areas = list(selectors.rostering_areas(user=self.principal))
            found.append(records.ministry_record(refs, areas))
            found += [records.area_record(refs, area, schools) for area in areas]
        return found

    def org(self, sourced_id: str, **kwargs) -> dict | None:
        return next((o for o in self.orgs(**kwargs) if o["sourcedId"] == sourced_id), None)


class OrgListView(OrgsMixin, RosteringView):
    """The orgs in reach: the ministry, the area offices and the schools."""

    def get(self, request):
        return self.page_of_rows(self.orgs())


class OrgView(OrgsMixin, RosteringView):
    def get(self, request, sourced_id):
        return self.one(self.org(sourced_id))


class SchoolListView(OrgsMixin, RosteringView):
    """The schools in reach (orgs of type school)."""

    def get(self, request):
        return self.page_of_rows(self.orgs(schools_only=True))


class SchoolView(OrgsMixin, RosteringView):
    def get(self, request, sourced_id):
        return self.one(self.org(sourced_id, schools_only=True))


class SessionsMixin:
    collection, item = "academicSessions", "academicSession"
    fields = {
        "sourcedId": TEXT,
        "status": TEXT,
        "dateLastModified": MODIFIED,
        "title": TEXT,
        "type": TEXT,
        "startDate": DAY,
        "endDate": DAY,
        "schoolYear": TEXT,
        "parent": TEXT,
    }
    shown = (*fields, "metadata", "children")

    def sessions(self) -> list[dict]:
        years, rounds = selectors.rostering_sessions()
        return records.session_records(self.refs(), years, rounds, selectors.current_year())


class SessionListView(SessionsMixin, RosteringView):
    """The academic years (schoolYear) and their count rounds (term)."""

    def get(self, request):
        return self.page_of_rows(self.sessions())


class SessionView(SessionsMixin, RosteringView):
    def get(self, request, sourced_id):
        return self.one(next((s for s in self.sessions() if s["sourcedId"] == sourced_id), None))


class ClassesMixin:
    collection, item = "classes", "class"
    fields = {
        "sourcedId": TEXT,
        "status": TEXT,
        "dateLastModified": MODIFIED,
        "title": TEXT,
        "classCode": TEXT,
        "classType": TEXT,
        "school": TEXT,
        "course": TEXT,
    }
    shown = (*fields, "metadata", "location", "grades", "subjects", "terms", "periods")

    def classes(self, rows) -> list[dict]:
        refs, year = self.refs(), selectors.current_year()
        return [
            records.class_record(refs, row, year) for row in selectors.rostering_classes(rows=rows)
        ]

    def class_rows(self, sourced_id: str):
        """Return the roster rows of a class in reach, or raise Http404."""
        parts = records.parse_class_id(sourced_id)
        if parts is None or parts["year"] != selectors.current_year():
            raise Http404
        rows = selectors.roster_rows(user=self.principal).filter(
            school__code=parts["school_code"], grade=parts["grade"], room=parts["room"]
        )
        return rows


class ClassListView(ClassesMixin, RosteringView):
    """The classes (grade × room) of the current school year at the schools in reach."""

    def get(self, request):
        return self.page_of_rows(self.classes(selectors.roster_rows(user=self.principal)))


class ClassView(ClassesMixin, RosteringView):
    def get(self, request, sourced_id):
        found = self.classes(self.class_rows(sourced_id))
        return self.one(found[0] if found else None)


class SchoolClassesView(ClassesMixin, RosteringView):
    """The classes of one school in reach."""

    def get(self, request, sourced_id):
        school_in_reach(self.principal, sourced_id)
        rows = selectors.roster_rows(user=self.principal).filter(school__code=sourced_id)
        return self.page_of_rows(self.classes(rows))


def school_in_reach(user, code: str) -> None:
    """Raise Http404 unless the key reaches the school with that code."""
    access_school(user, code)


class UsersMixin:
    collection, item = "users", "user"
    fields = {
        "sourcedId": Field("public_id", uuid.UUID),
        "status": STATUS,
        "dateLastModified": Field("modified", parse_when),
        "username": Field("public_id", uuid.UUID),
        "givenName": Field("first_name_th"),
        "familyName": Field("last_name_th"),
    }
    shown = (
        *fields,
        "metadata",
        "userMasterIdentifier",
        "userIds",
        "enabledUser",
        "middleName",
        "roles",
        "identifier",
        "email",
        "agents",
        "grades",
    )

    def users_page(self, among=None) -> Response:
        users = selectors.rostering_users(user=self.principal, among=among)
        refs = self.refs()
        return self.page_of_queryset(users, lambda student: records.user_record(refs, student))


class UserListView(UsersMixin, RosteringView):
    """The learners on the roster of the schools in reach (all of them have the student role)."""

    def get(self, request):
        return self.users_page()


class UserView(UsersMixin, RosteringView):
    def get(self, request, sourced_id):
        users = selectors.rostering_users(user=self.principal)
        student = users.filter(public_id=sourced_id).first() if _is_uuid(sourced_id) else None
        return self.one(records.user_record(self.refs(), student) if student else None)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


class SchoolStudentsView(UsersMixin, RosteringView):
    """The learners of one school in reach."""

    def get(self, request, sourced_id):
        school_in_reach(self.principal, sourced_id)
        rows = selectors.roster_rows(user=self.principal).filter(school__code=sourced_id)
        return self.users_page(among=rows)


class ClassStudentsView(UsersMixin, ClassesMixin, RosteringView):
    """The learners of one class in reach."""

    collection, item = "users", "user"
    fields, shown = UsersMixin.fields, UsersMixin.shown

    def get(self, request, sourced_id):
        rows = self.class_rows(sourced_id)
        if not rows.exists():
            raise Http404
        return self.users_page(among=rows)


class EnrollmentsMixin:
    collection, item = "enrollments", "enrollment"
    fields = {
        "status": STATUS,
        "dateLastModified": Field("updated_at", parse_when),
        "beginDate": Field("started_on", parse_day),
        "endDate": Field("ended_on", parse_day),
    }
    shown = ("sourcedId", *fields, "metadata", "user", "class", "school", "role", "primary")

    def enrollments_page(self, rows) -> Response:
        refs, year = self.refs(), selectors.current_year()
        return self.page_of_queryset(
            selectors.rostering_enrollments(rows=rows),
            lambda enrollment: records.enrollment_record(refs, enrollment, year),
        )


class EnrollmentListView(EnrollmentsMixin, RosteringView):
    """The enrollments (a learner in a class) of the schools in reach."""

    def get(self, request):
        return self.enrollments_page(selectors.roster_rows(user=self.principal))


class EnrollmentView(EnrollmentsMixin, RosteringView):
    def get(self, request, sourced_id):
        parts = records.parse_enrollment_id(sourced_id)
        if parts is None or parts["year"] != selectors.current_year():
            raise Http404
        enrollment = (
            selectors.rostering_enrollments(rows=selectors.roster_rows(user=self.principal))
            .filter(
                school__code=parts["school_code"],
                grade=parts["grade"],
                room=parts["room"],
                student__public_id=parts["student"],
            )
            .first()
        )
        year = parts["year"]
        return self.one(
            records.enrollment_record(self.refs(), enrollment, year) if enrollment else None
        )


class SchoolEnrollmentsView(EnrollmentsMixin, RosteringView):
    """The enrollments of one school in reach."""

    def get(self, request, sourced_id):
        school_in_reach(self.principal, sourced_id)
        rows = selectors.roster_rows(user=self.principal).filter(school__code=sourced_id)
        return self.enrollments_page(rows)
