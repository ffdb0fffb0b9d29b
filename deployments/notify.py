"""Who is told about a deployment, and the one way they are told.

Every email of the deployments app goes through `lle_portal.emails.email_queue`
(sent after the transaction commits); these say to whom.
"""

from __future__ import annotations

from collections.abc import Iterable

from lle_portal.emails import email_queue
from lle_portal.models import User

from .models import Deployment
from .rules import is_client_head_of


def email_all(addresses: Iterable[str], *, template: str, about, context: dict) -> None:
    """Queue the email for each address once, in order (an empty one is skipped)."""
    for address in dict.fromkeys(a for a in addresses if a):
        email_queue(to=address, template=template, about=about, context=context)


def client_head_emails(deployment: Deployment) -> list[str]:
    """The named client head, while they are still the school's confirmed head;
    nobody else who says they lead the school is told about the deployment."""
    head = deployment.client_head
    if head is not None and is_client_head_of(head, deployment):
        return [head.email]
    return []


def advisers_of(local_authority_id: int | None):
    """The active advisers of an LA, who broker its deployments."""
    return User.objects.filter(role=User.Role.ADVISER, is_active=True, local_authorities=local_authority_id)


def adviser_emails(school) -> list[str]:
    """The advisers of the school's LA."""
    return list(advisers_of(school.local_authority_id).values_list("email", flat=True))
