"""Password hashing as the running site does it (the tests' own settings use a fast MD5 hasher)."""

import pytest
from django.contrib.auth.hashers import make_password

from lle_portal.models import User
from lle_portal.settings import base

PASSWORD = "a long and memorable passphrase"


@pytest.fixture
def site_hashers(settings):
    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS


def test_it_hashes_new_passwords_with_argon2id_at_owasps_minimum(site_hashers):
    encoded = make_password(PASSWORD)
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


@pytest.mark.django_db
def test_it_still_accepts_a_pbkdf2_password_and_upgrades_it_at_sign_in(site_hashers, client):
    user = User.objects.create_user(email="head@school.example", password="x", full_name="A Head")
    User.objects.filter(pk=user.pk).update(
        password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
