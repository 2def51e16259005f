"""Insert or update many rows in one statement.

Inserts: on PostgreSQL the rows are streamed with ``COPY … FROM STDIN`` inside the current
transaction, which costs a fraction of ``bulk_create``'s per-object work; on SQLite (the embedded
default) one multi-row ``INSERT … VALUES`` a chunk goes to the driver's own cursor with its own
``?`` placeholders: Django's cursor rewrites every ``%s`` of the statement by regular expression
first (a chunk of 30,000 parameters is 120 kB of SQL), which cost more than the database took to
insert an audit chunk. On both, the driver's errors come out as Django's (IntegrityError…), and
these inserts are not in Django's query log.

Updates: joined on the primary key, on PostgreSQL ``UPDATE … FROM unnest(…)`` of one array per
column, on SQLite (3.33+) one ``UPDATE … FROM (VALUES …)`` per chunk. ``bulk_update`` writes a
``CASE WHEN id = … THEN …`` per column and row, which the database evaluates row by row against
every branch: 3,000 corrected weights took 40–89× the plain statement.

Reads: ``select_values`` returns a ``values_list`` queryset's rows, each column's values converted
by its field once per distinct value (a bulk read repeats a few dates and weights thousands of
times; Django converts every one of them again); ``select_in`` those whose key is one of thousands
of values (a roster file's IDs), without the ORM's ``__in`` preparing every value through three
layers of lookup (7 ms of 8 for 3,000 citizen IDs).
"""

import gc
import json
from collections.abc import Sequence
from contextlib import contextmanager
from itertools import chain, islice

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL


@contextmanager
def without_gc_pauses():
    """Keep the cyclic garbage collector out of a bulk plan or write.

    A file's plan makes hundreds of thousands of small objects (rows, dicts, tuples), none of them
    in a cycle: reference counting frees them all. The collector's passes over them, and its full
    passes over every object of the process (Django's and the rest, 180,000 and more), cost a
    third of the school register's plan and half of a 3,000-row roster file's time on the runs a
    full pass fell in. Nested uses keep it off until the outermost ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple]) -> int:
    """Insert rows (tuples in the order of fields) into a model's table; return how many."""
    if not rows:
        return 0
    meta = model._meta
    model_fields = [meta.get_field(name) for name in fields]
    if connection.vendor != "postgresql":
        _insert_values(meta, model_fields, rows)
        return len(rows)
    json_columns = [i for i, f in enumerate(model_fields) if isinstance(f, models.JSONField)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in model_fields)
    connection.ensure_connection()
    # The raw psycopg cursor shares Django's connection, so the rows join the open transaction.
    with connection.wrap_database_errors, connection.connection.cursor() as cursor:
        with cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                if json_columns:
                    row = list(row)
                    for i in json_columns:
                        row[i] = json.dumps(row[i], ensure_ascii=False)
                copy.write_row(row)
    return len(rows)


# SQLite allows 32,766 bound parameters a statement, PostgreSQL 65,535: chunks stay well below both.
_PARAMETERS = 30_000


def _chunks(rows: Sequence[tuple], columns: int):
    iterator = iter(rows)
    while chunk := list(islice(iterator, max(1, _PARAMETERS // columns))):
        yield chunk


def _params(fields: Sequence[models.Field], chunk: list[tuple]) -> list:
    """Return the chunk's values prepared by their fields, as bulk_create would prepare them.

    A column of a bulk write mostly repeats a few values (the same moment, actor, date, source), so
    each distinct value is prepared once per column, column by column; the connection is passed
    itself, since the django.db.connection proxy looks itself up in a thread-local store on every
    use."""
    real = connections[DEFAULT_DB_ALIAS]
    columns = []
    for field, column in zip(fields, zip(*chunk, strict=True), strict=True):
        if type(field) in _TEXT_FIELDS and all(type(value) is str for value in column):
            # Django's own text fields give a str back as it is (to_python): nothing to prepare.
            columns.append(column)
            continue
        if isinstance(field, models.JSONField):
            # A JSON value (a dict, unhashable) is prepared once per object: a caller that gives
            # one dict to many rows (the same change for a class) has it serialized once.
            prep, texts = _json_prep(field), {}
            for value in column:
                if id(value) not in texts:  # the column holds every value: ids stay unique
                    texts[id(value)] = prep(value, real)
            columns.append([texts[id(value)] for value in column])
            continue
        prep = field.get_db_prep_save
        try:
            prepared = {value: prep(value, real) for value in set(column)}
        except TypeError:  # unhashable: prepared each time
            columns.append([prep(value, real) for value in column])
        else:
            columns.append(list(map(prepared.__getitem__, column)))
    return list(chain.from_iterable(zip(*columns, strict=True)))


_TEXT_FIELDS = (models.CharField, models.TextField)


def _json_prep(field: models.JSONField):
    """Return a JSON column's preparation: a dict or list (an audit entry's changes, distinct on
    every row) straight to the backend's JSON adapter, as JSONField.get_db_prep_save ends up doing
    after its checks for None and expressions; anything else through the field."""

    def prep(value, connection):
        if type(value) in (dict, list):
            return connection.ops.adapt_json_value(value, field.encoder)
        return field.get_db_prep_save(value, connection)

    return prep


def _insert_values(meta, fields: Sequence[models.Field], rows: Sequence[tuple]) -> None:
    # SQLite: one multi-row INSERT … VALUES a chunk, each value prepared by its field as
    # bulk_create would, without building a model instance per row; sent to the driver's cursor
    # (the sqlite3 module's own "?" style), which shares Django's connection and transaction.
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    row_sql = "(" + ", ".join(["?"] * len(fields)) + ")"
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    try:
        with connection.wrap_database_errors:
            for chunk in _chunks(rows, len(fields)):
                cursor.execute(
                    f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608 — names only
                    f"VALUES {', '.join([row_sql] * len(chunk))}",
                    _params(fields, chunk),
                )
    finally:
        cursor.close()


def update_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple]) -> int:
    """Update rows given as (primary key, *values in the order of fields); return how many."""
    if not rows:
        return 0
    meta = model._meta
    model_fields = [meta.pk, *(meta.get_field(name) for name in fields)]
    quote = connection.ops.quote_name
    names = [quote(f"v{i}") for i in range(len(model_fields))]
    assignments = ", ".join(
        f"{quote(f.column)} = v.{name}" for f, name in zip(model_fields[1:], names[1:], strict=True)
    )
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Each column as one array parameter, typed as its column, as the plainest SQL does:
            # thousands of placeholders cost psycopg more to split than the database to update.
            arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in model_fields)
            params = _params(model_fields, rows)
            width = len(model_fields)
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM unnest({arrays}) "  # noqa: S608 — names and types
                f"AS v ({', '.join(names)}) WHERE {table}.{pk} = v.{names[0]}",
                [params[i::width] for i in range(width)],
            )
            return len(rows)
        row_sql = "(" + ", ".join(["%s"] * len(model_fields)) + ")"
        for chunk in _chunks(rows, len(model_fields)):
            values = ", ".join([row_sql] * len(chunk))
            cursor.execute(
                f"WITH v ({', '.join(names)}) AS (VALUES {values}) "  # noqa: S608 — names only
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{pk} = v.{names[0]}",
                _params(model_fields, chunk),
            )
    return len(rows)


def select_values(queryset: QuerySet) -> list[tuple]:
    """Return the rows of a ``values_list`` queryset as tuples, the values those of the queryset,
    each distinct value of a column converted once."""
    compiler = queryset.query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # an empty __in: Django asks the database nothing either
        return []
    real = connections[queryset.db]
    with real.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])
    if not converters or not rows:
        return [tuple(row) for row in rows]
    columns = list(zip(*rows, strict=True))
    for i, (convs, expression) in converters.items():

        def convert(value, convs=convs, expression=expression):
            for converter in convs:
                value = converter(value, expression, real)
            return value

        try:
            converted = {value: convert(value) for value in set(columns[i])}
        except TypeError:  # unhashable (a JSON value): converted one by one
            columns[i] = list(map(convert, columns[i]))
        else:
            columns[i] = list(map(converted.__getitem__, columns[i]))
    return list(zip(*columns, strict=True))


def select_in(
    queryset: QuerySet, field_name: str, values: Sequence, *, size: int = 5000
) -> list[tuple]:
    """Return the rows of a ``values_list`` queryset whose field_name is one of values, as
    select_values does, one query a chunk of size values (SQLite binds at most 32,766).

    Each distinct value is prepared by the field once and the chunk goes in as one plain
    ``IN (%s, …)``: the same query, without the ORM's ``__in`` lookup resolving, preparing and
    preparing again every value."""
    field = queryset.model._meta.get_field(field_name)
    real = connections[queryset.db]
    quote = real.ops.quote_name
    column = f"{quote(queryset.model._meta.db_table)}.{quote(field.column)}"
    distinct = list(dict.fromkeys(values))
    if not (type(field) in _TEXT_FIELDS and all(type(value) is str for value in distinct)):
        distinct = [field.get_db_prep_value(value, real) for value in distinct]
    rows: list[tuple] = []
    for start in range(0, len(distinct), size):
        chunk = distinct[start : start + size]
        condition = RawSQL(  # noqa: S611 — quoted names and placeholders only
            f"{column} IN ({', '.join(['%s'] * len(chunk))})", chunk, output_field=BooleanField()
        )
        rows.extend(select_values(queryset.filter(condition)))
    return rows
