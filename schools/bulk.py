"""Insert or update many rows in one statement.

Inserts: on PostgreSQL the rows are streamed with ``COPY … FROM STDIN`` inside the current
transaction, which costs a fraction of ``bulk_create``'s per-object work; elsewhere (the SQLite
default) ``bulk_create`` does the job.

Updates: one ``UPDATE … FROM (VALUES …)`` per chunk, joined on the primary key, on PostgreSQL and
SQLite (3.33+) alike. ``bulk_update`` writes a ``CASE WHEN id = … THEN …`` per column and row, which
the database evaluates row by row against every branch: 3,000 corrected weights took 40–89× the
plain statement.
"""

import json
from collections.abc import Sequence
from itertools import islice

from django.db import DEFAULT_DB_ALIAS, connection, connections, models


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
    with connection.connection.cursor() as cursor:
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
    each distinct value is prepared once per column; the connection is passed itself, since the
    django.db.connection proxy looks itself up in a thread-local store on every use."""
    real = connections[DEFAULT_DB_ALIAS]
    columns = [(field.get_db_prep_save, {}) for field in fields]
    params = []
    for row in chunk:
        for (prep, seen), value in zip(columns, row, strict=True):
            try:
                prepared = seen[value]
            except KeyError:
                prepared = seen[value] = prep(value, real)
            except TypeError:  # unhashable (a JSON value): prepared each time
                prepared = prep(value, real)
            params.append(prepared)
    return params


def _insert_values(meta, fields: Sequence[models.Field], rows: Sequence[tuple]) -> None:
    # SQLite: one multi-row INSERT … VALUES a chunk, each value prepared by its field as
    # bulk_create would, without building a model instance per row.
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, len(fields)):
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608 — names only
                f"VALUES {', '.join([row_sql] * len(chunk))}",
                _params(fields, chunk),
            )


def update_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple]) -> int:
    """Update rows given as (primary key, *values in the order of fields); return how many."""
    if not rows:
        return 0
    meta = model._meta
    model_fields = [meta.pk, *(meta.get_field(name) for name in fields)]
    quote = connection.ops.quote_name
    names = [quote(f"v{i}") for i in range(len(model_fields))]
    postgresql = connection.vendor == "postgresql"
    # PostgreSQL types a VALUES list from its literals: cast each parameter to its column's type.
    casts = [f"::{f.db_type(connection)}" if postgresql else "" for f in model_fields]
    row_sql = "(" + ", ".join(f"%s{cast}" for cast in casts) + ")"
    assignments = ", ".join(
        f"{quote(f.column)} = v.{name}" for f, name in zip(model_fields[1:], names[1:], strict=True)
    )
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, len(model_fields)):
            values = ", ".join([row_sql] * len(chunk))
            cursor.execute(
                f"WITH v ({', '.join(names)}) AS (VALUES {values}) "  # noqa: S608 — names and types
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{pk} = v.{names[0]}",
                _params(model_fields, chunk),
            )
    return len(rows)
