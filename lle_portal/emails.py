"""Queueing email. Every email the portal sends goes through `email_queue`.

The message is rendered now (so what was sent is what staff see), stored as an
`OutgoingEmail`, and sent by a Celery task once the surrounding transaction has
committed. Templates live in templates/emails/<name>.subject.txt, .txt and .html.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.html import escape
from django.utils.http import urlsafe_base64_encode

from .models import EmailChange, Invitation, OutgoingEmail, User

# What the stored copy of an email shows instead of a link that works as a
# credential (the same words as applications.references.REDACTED_LINK).
PRIVATE_LINK = "[the private link is not kept]"


def _invitation_link(invitation: Invitation) -> str | None:
    token = invitation.link_token()
    if invitation.state != "pending" or Invitation.hash_token(token) != invitation.token_hash:
        return None
    return settings.SITE_URL + reverse("invitation_accept", args=[token])


def _registration_link(invitation: Invitation) -> str | None:
    token = invitation.link_token()
    if invitation.state != "pending" or Invitation.hash_token(token) != invitation.token_hash:
        return None
    return settings.SITE_URL + reverse("register_confirm", args=[token])


def _password_reset_link(user: User) -> str | None:
    if not (user.is_active and user.has_usable_password()):
        return None
    # A fresh token: it is as good as the one the form made, and never stored.
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL + reverse("password_reset_confirm", kwargs={"uidb64": uidb64, "token": token})


def _email_change_link(change: EmailChange) -> str | None:
    if change.state != "pending":
        return None
    token = change.link_token()
    if EmailChange.hash_token(token) != change.token_hash:
        return None
    return settings.SITE_URL + reverse("email_change_confirm", args=[token])


# Emails whose link signs someone in (or moves their account to another
# address): the context key that holds the link, and how to make the link
# again, at send time, from the object the email is about.
# The stored OutgoingEmail (which staff can read, and which sits in backups)
# has PRIVATE_LINK in its place, so the database holds no working link.
PRIVATE_LINKS: dict[str, tuple[str, Callable[[Any], str | None]]] = {
    "invitation": ("accept_url", _invitation_link),
    "registration_confirm": ("confirm_url", _registration_link),
    "password_reset": ("reset_url", _password_reset_link),
    "email_change_confirm": ("confirm_url", _email_change_link),
}


def _link_recipient(about: Any) -> str:
    """The address a private link about `about` may be sent to, now."""
    return about.new_email if isinstance(about, EmailChange) else about.email


def email_bodies_to_send(email: OutgoingEmail) -> tuple[str, str] | None:
    """The text and HTML bodies to send, with any private link put back in;
    None when the link can no longer be made (an invitation revoked or sent
    again before this email went out)."""
    if email.template not in PRIVATE_LINKS:
        return email.body_text, email.body_html
    _, make_link = PRIVATE_LINKS[email.template]
    about = email.about
    # The link is made now, for the object as it is now: it goes only to the
    # address that object still has (an account moved to another address
    # since the email was queued must not have its reset link sent to the old one).
    if about is None or _link_recipient(about).lower() != email.to.lower():
        return None
    link = make_link(about)
    if link is None:
        return None
    return (email.body_text.replace(PRIVATE_LINK, link),
            email.body_html.replace(escape(PRIVATE_LINK), escape(link)))


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
    if template in PRIVATE_LINKS:
        if about is None:
            raise ValueError(f"The {template} email needs `about`, to make its link again when it is sent.")
        ctx[PRIVATE_LINKS[template][0]] = PRIVATE_LINK
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
