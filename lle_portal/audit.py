"""The audit trail.

Two complementary records:
- django-auditlog keeps field-level history of every registered model, with the
  user who made an admin edit (via its middleware);
- `audit_record` writes a domain event (`application.submitted`, `import.finished`…)
  from the service that made the change. Every status change goes through one.
"""

from __future__ import annotations

from typing import Any

from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.db import models


def audit_record(
    *,
    verb: str,
    target: models.Model | None = None,
    actor=None,
    actor_label: str = "",
    data: dict[str, Any] | None = None,
):
    from .models import AuditEvent

    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=actor_label,
        verb=verb,
        content_type=ContentType.objects.get_for_model(target) if target is not None else None,
        object_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:255] if target is not None else "",
        data=data or {},
    )


def register_models() -> None:
    from . import models as core

    # Field history of every record that can be edited in the admin. Imports
    # write in bulk, which bypasses these signals: each file is logged as one
    # `import.finished` event instead.
    auditlog.register(core.User, exclude_fields=["password", "last_login"], m2m_fields={"local_authorities"})
    auditlog.register(core.LocalAuthority)
    auditlog.register(core.School)
    auditlog.register(core.Inspection)
    auditlog.register(core.SchoolResult)
    auditlog.register(core.AreaResult)
    auditlog.register(core.SchoolYearCalendar)
    auditlog.register(core.SchoolTerm)
    auditlog.register(core.BankHoliday)
    auditlog.register(core.Invitation, exclude_fields=["token_hash", "password"])
