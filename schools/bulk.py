"""Insert many rows in one statement.

On PostgreSQL the rows are streamed with ``COPY … FROM STDIN`` inside the current transaction,
which costs a fraction of ``bulk_create``'s per-object work; elsewhere (the SQLite default)
``bulk_create`` does the job.
"""

import json
from collections.abc import Sequence

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
