"""Queueing email. Every email the portal sends goes through `email_queue`.

The message is rendered now (so what was sent is what staff see), stored as an
`OutgoingEmail`, and sent by a Celery task once the surrounding transaction has
committed. Templates live in templates/emails/<name>.subject.txt, .txt and .html.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.template.loader import render_to_string

from .models import OutgoingEmail


def email_queue(
    *,
    to: str,
    template: str,
    context: dict[str, Any] | None = None,
    about: models.Model | None = None,
) -> OutgoingEmail:
    """Render `template` for `to`, store it, and queue its sending after commit."""
    from .tasks import send_email

    ctx = {"site_url": settings.SITE_URL, "site_name": settings.SITE_NAME, **(context or {})}
    subject = " ".join(render_to_string(f"emails/{template}.subject.txt", ctx).split())
    email = OutgoingEmail.objects.create(
        to=to,
        subject=subject[:255],
        body_text=render_to_string(f"emails/{template}.txt", ctx),
        body_html=render_to_string(f"emails/{template}.html", ctx),
        template=template,
        content_type=ContentType.objects.get_for_model(about) if about is not None else None,
        object_id=str(about.pk) if about is not None else "",
    )
    transaction.on_commit(lambda: send_email.delay(email.pk))
    return email
