"""A fast bulk upsert for national-scale files.

Django's `bulk_create` builds a model instance per row and prepares every
value through several layers of field methods; on a national KS2 file
(16,000 schools, 49,000 results, 14,000 inspections) that work, not the
database, took most of the time. This takes plain dicts and builds the same
`INSERT … ON CONFLICT` statement that `bulk_create(..., update_conflicts=True)`
builds, preparing values only for the types that need it. SQLite (3.24+) and
PostgreSQL both accept the syntax. Identifiers come from the model's metadata
and values are parameters, so nothing from a file ever becomes SQL text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from django.db import connections, models, router
from django.utils import timezone

# Field types whose Python value the database drivers accept as it is.
PLAIN_FIELDS = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.ForeignKey)
NO_DEFAULT = object()


def _column(opts: Any, name: str) -> str:
    """The column of a concrete field: get_field's type also allows relations,
    and a Field's column is None only before it is bound to a model."""
    return cast(models.Field, opts.get_field(name)).column


def bulk_upsert(
    model: type[models.Model],
    rows: Sequence[Mapping[str, Any]],
    *,
    unique_fields: Sequence[str],
    update_fields: Sequence[str] = (),
) -> int:
    """Insert `rows` (dicts of field name -> value; a missing field takes
    its default). A row clashing with an existing one on `unique_fields`
    updates its `update_fields`, or is skipped when there are none.

    Returns the number of rows inserted or updated, as the database counts them.
    """
    if not rows:
        return 0
    connection = connections[router.db_for_write(model)]
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    now = timezone.now()
    defaults: list[Any] = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults.append(now)
        elif f.has_default() or f.null or f.empty_strings_allowed:
            defaults.append(f.get_default())
        else:
            defaults.append(NO_DEFAULT)
    # Rows name a foreign key by its field name ("school") or attname ("school_id").
    keys = [(f.attname, f.name) for f in fields]
    plain = [isinstance(f, PLAIN_FIELDS) for f in fields]

    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    conflict = ", ".join(quote(_column(opts, name)) for name in unique_fields)
    if update_fields:
        updated = (_column(opts, name) for name in update_fields)
        action = "DO UPDATE SET " + ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in updated)
    else:
        action = "DO NOTHING"
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # SQLite allows 999 parameters a statement by default; PostgreSQL 65,535.
    max_params = connection.features.max_query_params or 30_000
    batch_size = max(1, min(1000, max_params // len(fields)))

    changed = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            params: list[Any] = []
            for row in batch:
                for field, (attname, name), default, is_plain in zip(fields, keys, defaults, plain, strict=True):
                    value = row.get(attname, row.get(name, default))
                    if value is NO_DEFAULT:
                        raise ValueError(f"{opts.label}.{name} is required")
                    if isinstance(value, models.Model):
                        value = value.pk
                    elif not is_plain and value is not None:
                        # Dates, datetimes and decimals in the backend's form.
                        value = field.get_db_prep_save(value, connection)
                    params.append(value)
            sql = (
                f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES {', '.join([one_row] * len(batch))} "  # noqa: S608
                f"ON CONFLICT ({conflict}) {action}"
            )
            cursor.execute(sql, params)
            changed += max(cursor.rowcount, 0)
    return changed
