"""Queueing email. Every email the portal sends goes through `email_queue`.

The message is rendered now (so what was sent is what staff see), stored as an
`OutgoingEmail`, and sent by a Celery task once the surrounding transaction has
committed. Templates live in templates/emails/<name>.subject.txt, .txt and .html.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from . import private_links
from .models import EmailChange, Invitation, OutgoingEmail, User


def _password_reset_link(user: User) -> str | None:
    if not (user.is_active and user.has_usable_password()):
        return None
    # A fresh token: it is as good as the one the form made, and never stored.
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL + reverse("password_reset_confirm", kwargs={"uidb64": uidb64, "token": token})


def register_private_link_emails() -> None:
    """The core's emails whose link signs someone in (or moves their account
    to another address): see lle_portal.private_links. Called at start-up."""
    invitation = private_links.LinkEmail(context_key="accept_url", link=Invitation.link_url,
                                         recipient=lambda about: about.email)
    private_links.register_email("invitation", invitation)
    private_links.register_email("registration_confirm", replace(invitation, context_key="confirm_url"))
    private_links.register_email("password_reset", private_links.LinkEmail(
        context_key="reset_url", link=_password_reset_link, recipient=lambda about: about.email))
    private_links.register_email("email_change_confirm", private_links.LinkEmail(
        context_key="confirm_url", link=EmailChange.link_url, recipient=lambda about: about.new_email))


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
    # A private link is stored blanked, and put back only into the message sent.
    ctx = private_links.redacted_context(template, ctx, about)
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
