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

from django.db import connection, models


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple]) -> int:
    """Insert rows (tuples in the order of fields) into a model's table; return how many."""
    if not rows:
        return 0
    meta = model._meta
    model_fields = [meta.get_field(name) for name in fields]
    if connection.vendor != "postgresql":
        attnames = [f.attname for f in model_fields]
        model.objects.bulk_create(
            [model(**dict(zip(attnames, row, strict=True))) for row in rows], batch_size=2000
        )
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
_UPDATE_PARAMETERS = 30_000


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
    per_chunk = max(1, _UPDATE_PARAMETERS // len(model_fields))
    iterator = iter(rows)
    with connection.cursor() as cursor:
        while chunk := list(islice(iterator, per_chunk)):
            params = [
                field.get_db_prep_save(value, connection)
                for row in chunk
                for field, value in zip(model_fields, row, strict=True)
            ]
            values = ", ".join([row_sql] * len(chunk))
            cursor.execute(
                f"WITH v ({', '.join(names)}) AS (VALUES {values}) "  # noqa: S608 — names and types
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{pk} = v.{names[0]}",
                params,
            )
    return len(rows)
