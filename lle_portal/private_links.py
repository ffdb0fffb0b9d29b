"""Private links: an emailed address whose token is the only credential.

Invitations, headteachers' registrations and email-change confirmations (the
core), and sponsors' references and the chair of governors' approval
(applications.references) all work the same way, here:

- **Tokens.** 256 bits of HMAC-SHA256 with the server's secret key
  (`LinkKind.token`), over what the link is about: an address and an expiry,
  or a random nonce (`new_nonce`). The token is made again when it is needed
  (a reminder carries the same link), so it is never stored. Each kind has its
  own salt and its own table, so a token of one kind opens nothing of another.
- **Stored hash only.** Only the token's SHA-256 is kept (`hash_token`): a
  copy of the database opens nothing. `find` looks a token up by its hash, and
  `token_matches` compares a token with a stored hash in constant time.
- **Expiry and single use.** Each model says which of its rows are still
  usable (pending, open, not expired); `claim` uses a link once, by a
  conditional update that only one of two simultaneous posts wins.
- **Emails.** The email that carries a link is queued by
  `lle_portal.emails.email_queue` like every other email. Its stored copy
  (which staff read, and which backups hold) has `REDACTED` in the link's
  place; the send task puts the link back, made again from the object the
  email is about, only into the message it hands to the mail server
  (`bodies_to_send`), and records the sending (`email_sent`). Each such email
  template is registered once (`register_email`).

See docs/programme.md §14.4.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.html import escape

if TYPE_CHECKING:
    from .models import OutgoingEmail

M = TypeVar("M", bound=models.Model)

# What a stored copy of an email shows instead of a link that works as a credential.
REDACTED = "[the private link is not kept]"
# Tokens made here have 43 characters; anything much longer is not even hashed.
MAX_TOKEN_LENGTH = 100


# --- tokens ------------------------------------------------------------------------------


def new_nonce() -> str:
    """A random value (256 bits) to derive a token from, for a link about nothing else that is secret."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """What is stored of a token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, token_hash: str) -> bool:
    """Whether `token` is the one whose hash is stored, compared in constant time."""
    return hmac.compare_digest(hash_token(token), token_hash)


def expires_after(valid_for: timedelta) -> datetime:
    return timezone.now() + valid_for


def _part(value: object) -> str:
    # An instant is written in UTC to the microsecond: the token changes with the expiry.
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else str(value)


@dataclass(frozen=True)
class LinkKind:
    """One kind of private link: the HMAC's salt and the URL that takes the token.

    The salts are those the links were first made with, so links already
    emailed keep working; change one and every link of that kind stops."""

    salt: str
    url_name: str

    def token(self, *parts: object) -> str:
        """The token over `parts` (joined by "|"), URL-safe base64 without padding."""
        message = "|".join(_part(part) for part in parts)
        digest = salted_hmac(self.salt, message, algorithm="sha256").digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def url(self, token: str) -> str:
        return settings.SITE_URL + reverse(self.url_name, args=[token])


# The core's kinds (applications.references has the reference's). A
# registration is an Invitation row, made with the invitation's salt; the two
# are told apart by `Invitation.self_registered`, which each lookup filters on.
INVITATION = LinkKind("lle_portal.invitation", "invitation_accept")
REGISTRATION = LinkKind("lle_portal.invitation", "register_confirm")
EMAIL_CHANGE = LinkKind("lle_portal.email_change", "email_change_confirm")


# --- finding and using a link ------------------------------------------------------------------


def find(queryset: models.QuerySet[M], token: str) -> M | None:
    """The row of `queryset` (a model with a `token_hash` field) that `token`
    opens; None for a wrong, tampered, empty or over-long token. Filter
    `queryset` to the kind and state the caller accepts."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return queryset.filter(token_hash=hash_token(token)).first()


def claim(usable: models.QuerySet, pk: Any, **changes: Any) -> bool:
    """Use a link once: write `changes` to row `pk` only while it is among
    `usable` (its model's pending or open rows), in one UPDATE. Of two posts of
    the same link at the same moment, exactly one gets True."""
    return usable.filter(pk=pk).update(**changes) == 1


# --- the emails that carry a link ---------------------------------------------------------------


@dataclass(frozen=True)
class LinkEmail:
    """How an email template carries a private link.

    `context_key`: the template variable that holds the link.
    `link`: the link, made again at send time from the object the email is
    about; None once it no longer works (used, revoked, replaced, expired).
    `recipient`: the address that object says the link may go to now.
    `sent`: called in the sending's transaction once the mail server has it.
    """

    context_key: str
    link: Callable[[Any], str | None]
    recipient: Callable[[Any], str]
    sent: Callable[[Any, datetime], None] | None = None


_EMAILS: dict[str, LinkEmail] = {}


def register_email(template: str, link_email: LinkEmail) -> None:
    """Declare that `template` carries a private link (at app start-up, from AppConfig.ready)."""
    _EMAILS[template] = link_email


def redacted_context(template: str, context: dict[str, Any], about: models.Model | None) -> dict[str, Any]:
    """The context to render and store `template` with: the link, if it carries
    one, is REDACTED. Such an email needs `about`, to make its link again when it is sent."""
    link_email = _EMAILS.get(template)
    if link_email is None:
        return context
    if about is None:
        raise ValueError(f"The {template} email needs `about`, to make its link again when it is sent.")
    return {**context, link_email.context_key: REDACTED}


def bodies_to_send(email: OutgoingEmail) -> tuple[str, str] | None:
    """The text and HTML bodies to hand to the mail server, with any private
    link put back in; None when the link can no longer be made (the object
    gone, its link used, revoked or replaced) or the object's address is no
    longer the one the email was queued for (an account moved to another
    address must not have its link sent to the old one)."""
    link_email = _EMAILS.get(email.template)
    if link_email is None:
        return email.body_text, email.body_html
    about = email.about
    if about is None or link_email.recipient(about).lower() != email.to.lower():
        return None
    link = link_email.link(about)
    if link is None:
        return None
    return (email.body_text.replace(REDACTED, link),
            email.body_html.replace(escape(REDACTED), escape(link)))


def email_sent(email: OutgoingEmail, at: datetime) -> None:
    """Record, for the object it is about, that an email carrying its link went out."""
    link_email = _EMAILS.get(email.template)
    if link_email is not None and link_email.sent is not None and email.about is not None:
        link_email.sent(email.about, at)
