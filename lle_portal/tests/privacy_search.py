"""Search the whole database for a piece of text, for the erasure tests.

Independent of lle_portal.privacy on purpose: it reads every column of every
table the database has (django.apps models, their many-to-many tables,
django-auditlog's, django-axes', sessions...), each cast to text, whatever
its type, and matches without regard to case.
"""

from __future__ import annotations

from django.db import connection


def tables_containing(text: str) -> dict[str, list[str]]:
    """{table: [columns]} where some row holds `text` (any case)."""
    found: dict[str, list[str]] = {}
    like = "ILIKE" if connection.vendor == "postgresql" else "LIKE"
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [column.name for column in connection.introspection.get_table_description(cursor, table)]
            for column in columns:
                quoted_table, quoted_column = connection.ops.quote_name(table), connection.ops.quote_name(column)
                cursor.execute(
                    f"SELECT 1 FROM {quoted_table} WHERE CAST({quoted_column} AS TEXT) {like} %s LIMIT 1",  # noqa: S608
                    [f"%{text}%"],
                )
                if cursor.fetchone():
                    found.setdefault(table, []).append(column)
    return found
