"""OneRoster 1.2 query parameters: ``filter``, ``sort``/``orderBy``, ``fields``, ``limit``/``offset``.

Each collection declares the fields a caller may filter and sort on (``Field``): an ORM lookup for
the collections kept in the database (users, enrollments), or none for the small ones built in
memory (orgs, academic sessions, classes), which are filtered on their rendered values."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Q
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

OPERATORS = ("!=", ">=", "<=", "=", ">", "<", "~")
PREDICATE = re.compile(r"\s*([A-Za-z][A-Za-z0-9.]*)\s*(!=|>=|<=|=|>|<|~)\s*'((?:[^']|'')*)'\s*")
LOGICAL = re.compile(r"\s+(AND|OR)\s+")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class QueryError(ValueError):
    """A query parameter the standard does not allow: answered 400 with an imsx_StatusInfo."""

    def __init__(self, message: str, code_minor: str = "invalid_filter_field"):
        super().__init__(message)
        self.code_minor = code_minor


@dataclass(frozen=True)
class Field:
    """A field of a collection that may be filtered and sorted on.

    ``lookup`` is the ORM path (None: compare the rendered value in memory); ``value`` turns the
    caller's text into the value compared (a date, a boolean ...), raising ValueError if it cannot."""

    lookup: str | None = None
    value: Callable[[str], object] = str


@dataclass(frozen=True)
class Predicate:
    field: str
    operator: str
    value: str


@dataclass(frozen=True)
class Query:
    predicates: tuple[Predicate, ...]
    joiner: str  # "AND" or "OR"
    sort: str | None
    descending: bool
    fields: tuple[str, ...] | None
    limit: int
    offset: int


def parse_when(text: str) -> datetime:
    """Return the moment of an ISO 8601 date or date-time (a date: its midnight UTC)."""
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text)
        if day is None:
            raise ValueError(text)
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def parse_day(text: str):
    """Return the date of an ISO 8601 date."""
    day = parse_date(text)
    if day is None:
        raise ValueError(text)
    return day


def _predicates(text: str) -> tuple[tuple[Predicate, ...], str]:
    parts = LOGICAL.split(text.strip())
    if len(parts) not in (1, 3):
        raise QueryError(_("A filter joins at most two conditions with one AND or one OR."))
    found = []
    for part in parts[::2]:
        match = PREDICATE.fullmatch(part)
        if match is None:
            raise QueryError(
                _("The filter %(part)s is not of the form field='value' (operators: %(ops)s).")
                % {"part": part.strip()[:80], "ops": " ".join(OPERATORS)}
            )
        name, operator, value = match.groups()
        found.append(Predicate(name, operator, value.replace("''", "'")))
    return tuple(found), parts[1] if len(parts) == 3 else "AND"


def _integer(params, name: str, default: int, lowest: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        number = int(raw)
    except ValueError:
        number = lowest - 1
    if number < lowest:
        raise QueryError(
            _("%(name)s must be a whole number of at least %(lowest)d.")
            % {"name": name, "lowest": lowest},
            "invaliddata",
        )
    return number


def parse_query(params, *, fields: dict[str, Field], shown: tuple[str, ...]) -> Query:
    """Return the query of a request's parameters, or raise QueryError."""
    predicates, joiner = _predicates(params["filter"]) if params.get("filter") else ((), "AND")
    for predicate in predicates:
        if predicate.field not in fields:
            raise QueryError(
                _("The filter field %(field)s is not supported here; use one of: %(fields)s.")
                % {"field": predicate.field, "fields": ", ".join(fields)}
            )
    sort = params.get("sort") or None
    if sort is not None and sort not in fields:
        raise QueryError(
            _("The sort field %(field)s is not supported here; use one of: %(fields)s.")
            % {"field": sort[:80], "fields": ", ".join(fields)},
            "invalid_sort_field",
        )
    order = params.get("orderBy", "asc")
    if order not in ("asc", "desc"):
        raise QueryError(_("orderBy must be asc or desc."), "invalid_sort_field")
    selected = None
    if params.get("fields"):
        selected = tuple(name.strip() for name in params["fields"].split(",") if name.strip())
        unknown = [name for name in selected if name not in shown]
        if unknown:
            raise QueryError(
                _("The field %(field)s does not exist here; use some of: %(fields)s.")
                % {"field": unknown[0][:80], "fields": ", ".join(shown)},
                "invalid_selection_field",
            )
    limit = min(_integer(params, "limit", DEFAULT_LIMIT, 1), MAX_LIMIT)
    offset = _integer(params, "offset", 0, 0)
    return Query(predicates, joiner, sort, order == "desc", selected, limit, offset)


def _typed(predicate: Predicate, field: Field):
    try:
        return field.value(predicate.value)
    except (ValueError, KeyError):
        raise QueryError(
            _("The value '%(value)s' does not fit the field %(field)s.")
            % {"value": predicate.value[:80], "field": predicate.field}
        ) from None


ORM_LOOKUPS = {"=": "exact", ">": "gt", ">=": "gte", "<": "lt", "<=": "lte", "~": "icontains"}


def filter_q(query: Query, fields: dict[str, Field]) -> Q:
    """Return the Q of a query's filter over the fields' ORM lookups."""
    combined = Q()
    for index, predicate in enumerate(query.predicates):
        field = fields[predicate.field]
        operator = predicate.operator
        if operator == "~" and field.value is not str:
            operator = "="  # "contains" is a text operator: on a date or a status it means equal
        value = predicate.value if operator == "~" else _typed(predicate, field)
        if operator == "!=":
            condition = ~Q(**{field.lookup: value})
        else:
            condition = Q(**{f"{field.lookup}__{ORM_LOOKUPS[operator]}": value})
        if index == 0:
            combined = condition
        else:
            combined = combined | condition if query.joiner == "OR" else combined & condition
    return combined


def _matches(row: dict, predicate: Predicate, field: Field) -> bool:
    have = row.get(predicate.field)
    if isinstance(have, dict):  # a reference: compare its sourcedId
        have = have.get("sourcedId")
    have = "" if have is None else str(have)
    if predicate.operator == "~":
        return predicate.value.lower() in have.lower()
    want = _typed(predicate, field)
    try:
        have = field.value(have) if have else have
    except ValueError:
        return False
    if predicate.operator in ("=", "!="):
        return (have == want) == (predicate.operator == "=")
    if have == "":
        return False
    return {
        ">": have > want,
        ">=": have >= want,
        "<": have < want,
        "<=": have <= want,
    }[predicate.operator]


def filter_rows(rows: list[dict], query: Query, fields: dict[str, Field]) -> list[dict]:
    """Return the rendered rows that pass a query's filter."""
    if not query.predicates:
        return rows
    test = any if query.joiner == "OR" else all
    return [
        row for row in rows if test(_matches(row, p, fields[p.field]) for p in query.predicates)
    ]


def sort_rows(rows: list[dict], query: Query) -> list[dict]:
    """Return the rendered rows in a query's order (by sourcedId unless asked otherwise)."""
    key = query.sort or "sourcedId"

    def value(row: dict) -> str:
        have = row.get(key)
        return str((have.get("sourcedId") if isinstance(have, dict) else have) or "")

    return sorted(rows, key=value, reverse=query.descending)


def select_fields(row: dict, query: Query) -> dict:
    """Return only the fields the caller selected (all without ``fields``)."""
    if query.fields is None:
        return row
    return {name: row[name] for name in query.fields if name in row}
