"""The one private-link mechanism (lle_portal.private_links), and the core's
links that use it (invitation, registration, email change), attacked: a used
link, an expired one, a tampered token and a token of another kind of link
are each refused; a link made before the mechanism was shared still opens.
(References and approvals: applications/tests/test_reference_links.py.)"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from lle_portal import private_links, services
from lle_portal.models import EmailChange, Invitation, OutgoingEmail, User
from lle_portal.tasks import send_email
from lle_portal.tests.factories import AdviserFactory, GovernorFactory, LocalAuthorityFactory, SchoolFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple 42"


def tampered(token: str) -> str:
    return token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]


# --- the module itself --------------------------------------------------------------------------------


def test_a_token_carries_256_bits_and_only_its_sha256_is_kept():
    token = private_links.INVITATION.token("grace@example.org", timezone.now())
    assert len(base64.urlsafe_b64decode(token + "=")) == 32
    assert private_links.hash_token(token) == hashlib.sha256(token.encode()).hexdigest()
    assert private_links.token_matches(token, private_links.hash_token(token))
    assert not private_links.token_matches(tampered(token), private_links.hash_token(token))


def test_each_kind_of_link_has_its_own_key_and_the_expiry_is_part_of_the_token():
    at, invitation = timezone.now(), private_links.INVITATION
    assert invitation.token("x", at) != private_links.EMAIL_CHANGE.token("x", at)
    assert invitation.token("x", at) != invitation.token("x", at + timedelta(microseconds=1))
    # A nonce is random: two links about the same thing differ.
    assert private_links.new_nonce() != private_links.new_nonce()


def test_find_refuses_an_empty_an_over_long_a_tampered_and_an_unknown_token():
    invitation = Invitation(email="grace@example.org", full_name="Grace", role=User.Role.GOVERNOR)
    token = invitation.new_token()
    invitation.save()
    pending = Invitation.objects.pending()
    assert private_links.find(pending, token) == invitation
    for bad in ("", "x" * (private_links.MAX_TOKEN_LENGTH + 1), tampered(token), "nonsense"):
        assert private_links.find(pending, bad) is None


def test_claim_uses_a_link_exactly_once():
    invitation = Invitation(email="grace@example.org", full_name="Grace", role=User.Role.GOVERNOR)
    invitation.new_token()
    invitation.save()
    now = timezone.now()
    assert private_links.claim(Invitation.objects.pending(), invitation.pk, accepted_at=now)
    assert not private_links.claim(Invitation.objects.pending(), invitation.pk, accepted_at=now)


def test_an_email_that_carries_a_link_must_say_what_it_is_about():
    with pytest.raises(ValueError, match="needs `about`"):
        private_links.redacted_context("invitation", {}, None)


# --- the core's links, attacked ------------------------------------------------------------------


@dataclass
class Link:
    kind: str
    token: str
    obj: Invitation | EmailChange


URLS = {"invitation": "invitation_accept", "registration": "register_confirm", "email_change": "email_change_confirm"}


def url(kind: str, token: str) -> str:
    return reverse(URLS[kind], args=[token])


@pytest.fixture
def links() -> dict[str, Link]:
    norfolk = LocalAuthorityFactory(code="926", name="Norfolk")
    school = SchoolFactory.create(local_authority=norfolk)
    adviser = AdviserFactory.create(local_authorities=[norfolk])
    invitation = services.invitation_create(email="grace@governors.example", full_name="Grace Hopper",
                                            role=User.Role.GOVERNOR, school=school, by=adviser)
    registration = services.headteacher_register(email="head@avenue.example", full_name="Ada Head",
                                                 password=PASSWORD, school=school)
    governor = GovernorFactory.create(school=school)
    change = services.email_change_request(user=governor, new_email="governor.new@example.org", by=governor)
    return {
        "invitation": Link("invitation", invitation.link_token(), invitation),
        "registration": Link("registration", registration.link_token(), registration),  # type: ignore[union-attr, arg-type]
        "email_change": Link("email_change", change.link_token(), change),
    }


def use(link: Link) -> None:
    if link.kind == "invitation":
        services.invitation_accept(token=link.token, password=PASSWORD, full_name="")
    elif link.kind == "registration":
        services.registration_confirm(token=link.token, password=PASSWORD)
    else:
        services.email_change_confirm(token=link.token)


REFUSED = (services.InvitationInvalid, services.EmailChangeInvalid)


@pytest.mark.parametrize("kind", URLS)
def test_each_link_opens_its_own_page(client, links, kind):
    assert client.get(url(kind, links[kind].token)).status_code == 200


@pytest.mark.parametrize("kind", URLS)
def test_a_used_link_is_refused(client, links, kind):
    use(links[kind])
    assert client.get(url(kind, links[kind].token)).status_code == 404
    with pytest.raises(REFUSED):
        use(links[kind])


@pytest.mark.parametrize("kind", URLS)
def test_an_expired_link_is_refused(client, links, kind):
    type(links[kind].obj).objects.filter(pk=links[kind].obj.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(url(kind, links[kind].token)).status_code == 404
    with pytest.raises(REFUSED):
        use(links[kind])


@pytest.mark.parametrize("kind", URLS)
def test_a_tampered_token_is_refused(client, links, kind):
    links[kind].token = tampered(links[kind].token)
    assert client.get(url(kind, links[kind].token)).status_code == 404
    with pytest.raises(REFUSED):
        use(links[kind])


@pytest.mark.parametrize(("token_of", "used_as"), [(a, b) for a in URLS for b in URLS if a != b])
def test_a_token_of_another_kind_of_link_is_refused(client, links, token_of, used_as):
    assert client.get(url(used_as, links[token_of].token)).status_code == 404
    with pytest.raises(REFUSED):
        use(Link(used_as, links[token_of].token, links[used_as].obj))
    # ... and the link itself still works where it belongs.
    assert client.get(url(token_of, links[token_of].token)).status_code == 200


# --- links made before the mechanism was shared ------------------------------------------------------


def _old_token(salt: str, message: str) -> str:
    # The derivation the models had before lle_portal.private_links (kept byte for byte).
    digest = salted_hmac(salt, message, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_an_invitation_stored_by_the_old_code_still_opens_and_is_sent_with_its_link(
    client, django_capture_on_commit_callbacks
):
    norfolk = LocalAuthorityFactory(code="926", name="Norfolk")
    adviser = AdviserFactory(local_authorities=[norfolk])
    expires_at = timezone.now() + timedelta(days=3)
    token = _old_token("lle_portal.invitation", f"grace@governors.example|{expires_at.astimezone(UTC).isoformat()}")
    invitation = Invitation.objects.create(
        email="grace@governors.example", full_name="Grace Hopper", role=User.Role.GOVERNOR,
        school=SchoolFactory(local_authority=norfolk), created_by=adviser, expires_at=expires_at,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
    )
    # An email queued by the old code (its link blanked) is sent with the same link.
    email = OutgoingEmail.objects.create(to=invitation.email, subject="Invitation", template="invitation",
                                         body_text=f"Set up your account: {private_links.REDACTED}",
                                         about=invitation)
    assert send_email(email.pk) == "sent"
    assert url("invitation", token) in mail.outbox[0].body

    assert client.get(url("invitation", token)).status_code == 200
    user = services.invitation_accept(token=token, password=PASSWORD, full_name="")
    assert user.email == "grace@governors.example"


def test_an_email_change_stored_by_the_old_code_still_opens():
    governor = GovernorFactory(email="governor@example.org")
    expires_at = timezone.now() + timedelta(hours=2)
    token = _old_token("lle_portal.email_change", f"{governor.pk}|governor@example.org|governor.new@example.org|"
                                                  f"{expires_at.astimezone(UTC).isoformat()}")
    EmailChange.objects.create(user=governor, new_email="governor.new@example.org", expires_at=expires_at,
                               token_hash=hashlib.sha256(token.encode()).hexdigest())
    assert services.email_change_find_pending(token=token) is not None
    assert services.email_change_confirm(token=token).email == "governor.new@example.org"
