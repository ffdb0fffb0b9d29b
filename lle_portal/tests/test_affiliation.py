"""A headteacher's link to a school is granted, never claimed (issue 11).

Registration records a claim; the adviser of the school's LA confirms or
rejects it from the staff queue; an invitation is the adviser's grant. One
function (lle_portal.access.acts_for_school) answers "may this person act for
this school", and a school has at most one confirmed head.
"""

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import TestCase
from django.utils import timezone

from lle_portal import services
from lle_portal.access import acts_for_school
from lle_portal.models import AuditEvent, OutgoingEmail, User
from lle_portal.tests.factories import (
    AdviserFactory,
    GovernorFactory,
    HeadteacherFactory,
    LocalAuthorityFactory,
    SchoolFactory,
)
from lle_portal.tests.registration import confirm_registration_in_client

pytestmark = pytest.mark.django_db
PASSWORD = "a long and memorable passphrase"
QUEUE = "/staff/school-links/"


@pytest.fixture
def norfolk():
    return LocalAuthorityFactory(code="926", name="Norfolk")


@pytest.fixture
def advisers(norfolk):
    return {"own": AdviserFactory(local_authorities=[norfolk]),
            "other": AdviserFactory(local_authorities=[LocalAuthorityFactory(code="935", name="Suffolk")])}


@pytest.fixture
def school(norfolk):
    return SchoolFactory(local_authority=norfolk, name="Avenue Junior School", head_name="Mrs Ann Head",
                         head_job_title="Headteacher")


def register(client, school, email="sam@stranger.example") -> User:
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/accounts/register/", {
            "full_name": "Sam Stranger", "email": email, "school_query": "", "school": school.pk,
            "password1": PASSWORD, "password2": PASSWORD, "action": "register",
        })
    assert response.status_code == 302
    # The account is made from the emailed link (lle_portal/tests/registration.py).
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert confirm_registration_in_client(client, email, PASSWORD).status_code == 302
    return User.objects.get(email=email)


# --- registration is a claim ------------------------------------------------------


def test_it_records_a_registration_as_a_claim_that_gives_nothing_of_the_school(client, school):
    user = register(client, school)

    assert user.school == school and user.school_confirmed_at is None
    assert not acts_for_school(user, school.pk)
    assert AuditEvent.objects.get(verb="user.registered").data["school_link"] == "claimed"
    page = client.get("/").content.decode()
    assert "waits for the LA adviser" in page


def test_it_tells_the_registering_head_that_the_adviser_confirms_their_link(client, school):
    html = client.get("/accounts/register/").content.decode()
    assert "will be confirmed by your LA lead adviser" in html


def test_a_registration_grants_no_power_until_the_right_adviser_confirms_it(client, school, advisers):
    """Role acquisition: the claimant, another LA's adviser and the school's
    own adviser each try; only the last grants the link."""
    stranger = register(client, school)
    assert not acts_for_school(stranger, school.pk)

    client.force_login(advisers["other"])
    assert client.post(f"{QUEUE}{stranger.pk}/confirm/").status_code == 404
    stranger.refresh_from_db()
    assert not acts_for_school(stranger, school.pk)

    client.force_login(stranger)  # the claimant confirming themselves: not an adviser
    assert client.post(f"{QUEUE}{stranger.pk}/confirm/").status_code == 403
    stranger.refresh_from_db()
    assert stranger.school_confirmed_at is None

    client.force_login(advisers["own"])
    assert client.post(f"{QUEUE}{stranger.pk}/confirm/").status_code == 302
    stranger.refresh_from_db()
    assert acts_for_school(stranger, school.pk)
    assert stranger.school_confirmed_by == advisers["own"]


# --- invitations are the adviser's grant -----------------------------------------


def _accept(adviser, **kwargs) -> User:
    invitation = services.invitation_create(by=adviser, **kwargs)
    return services.invitation_accept(token=invitation.link_token(), password=PASSWORD, full_name="")


def test_it_confirms_the_school_of_an_invited_head_or_governor_on_acceptance(school, advisers):
    head = _accept(advisers["own"], email="head@avenue.example", full_name="Ann Head", role="headteacher",
                   school=school)
    governor = _accept(advisers["own"], email="gov@avenue.example", full_name="Gil Gov", role="governor",
                       school=school)

    assert acts_for_school(head, school.pk) and head.school_confirmed_by == advisers["own"]
    assert acts_for_school(governor, school.pk)


def test_an_invited_second_head_of_a_school_with_a_confirmed_head_waits_as_a_claim(school, advisers):
    HeadteacherFactory(school=school)
    second = _accept(advisers["own"], email="head2@avenue.example", full_name="Second Head", role="headteacher",
                     school=school)
    assert second.school == school and second.school_confirmed_at is None


# --- one confirmed head per school -------------------------------------------------


def test_a_second_head_cannot_be_confirmed_while_the_school_has_one(client, school, advisers):
    current = HeadteacherFactory(school=school)
    claimant = HeadteacherFactory(school=school, claim=True)

    with pytest.raises(services.SchoolLinkError, match="already has a confirmed headteacher"):
        services.school_link_confirm(user=claimant, by=advisers["own"])
    client.force_login(advisers["own"])
    client.post(f"{QUEUE}{claimant.pk}/confirm/")
    claimant.refresh_from_db()
    assert claimant.school_confirmed_at is None and acts_for_school(current, school.pk)


def test_the_database_holds_one_confirmed_head_per_school(school):
    HeadteacherFactory(school=school)
    claimant = HeadteacherFactory(school=school, claim=True)
    claimant.school_confirmed_at = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        claimant.save()


def test_ending_the_current_heads_link_lets_the_new_head_be_confirmed(client, school, advisers):
    current = HeadteacherFactory(school=school)
    claimant = HeadteacherFactory(school=school, claim=True)
    client.force_login(advisers["other"])
    assert client.post(f"{QUEUE}{current.pk}/end/").status_code == 404
    current.refresh_from_db()
    assert acts_for_school(current, school.pk)

    client.force_login(advisers["own"])
    assert client.post(f"{QUEUE}{current.pk}/end/").status_code == 302
    services.school_link_confirm(user=claimant, by=advisers["own"])

    current.refresh_from_db()
    claimant.refresh_from_db()
    assert current.school is None and not acts_for_school(current, school.pk)
    assert acts_for_school(claimant, school.pk)
    assert AuditEvent.objects.filter(verb="user.school_link_ended", actor=advisers["own"]).exists()
    assert OutgoingEmail.objects.get(to=current.email).subject == f"Your link to {school.name} has ended"


def test_a_confirmed_link_moved_to_another_school_or_role_is_a_claim_again(school, norfolk):
    head = HeadteacherFactory(school=school)
    head.school = SchoolFactory(local_authority=norfolk)
    head.save()
    head.refresh_from_db()
    assert head.school_confirmed_at is None

    governor = GovernorFactory(school=school)
    governor.role = User.Role.HEADTEACHER
    governor.save()
    governor.refresh_from_db()
    assert governor.school_confirmed_at is None


# --- the queue --------------------------------------------------------------------


def test_the_queue_lists_the_advisers_claims_with_what_gias_says_and_flags_a_confirmed_head(
        client, school, advisers, norfolk):
    HeadteacherFactory(school=school, full_name="Ann Head", email="ann@avenue.example")
    flagged = HeadteacherFactory(school=school, claim=True, full_name="Flo Flagged")
    plain = HeadteacherFactory(school=SchoolFactory(local_authority=norfolk), claim=True, full_name="Pat Plain")
    suffolk_claim = HeadteacherFactory(school=SchoolFactory(local_authority=advisers["other"].local_authorities.get()),
                                       claim=True, full_name="Sue Suffolk")

    client.force_login(advisers["own"])
    html = client.get(QUEUE).content.decode()
    assert "Flo Flagged" in html and "Pat Plain" in html and "Sue Suffolk" not in html
    assert "Mrs Ann Head" in html  # GIAS's head
    assert "Already has a confirmed head" in html and "ann@avenue.example" in html
    assert f"{QUEUE}{flagged.pk}/confirm/" not in html  # end the current head's link first
    assert f"{QUEUE}{plain.pk}/confirm/" in html

    client.force_login(advisers["other"])
    html = client.get(QUEUE).content.decode()
    assert "Sue Suffolk" in html and "Flo Flagged" not in html and "Pat Plain" not in html
    assert client.post(f"{QUEUE}{plain.pk}/reject/").status_code == 404
    plain.refresh_from_db()
    assert plain.school_id is not None
    assert suffolk_claim.school_id is not None


def test_it_shows_the_queue_in_the_advisers_navigation_only(client, school, advisers):
    client.force_login(advisers["own"])
    assert f'href="{QUEUE}"' in client.get("/").content.decode()
    client.force_login(HeadteacherFactory(school=school))
    assert f'href="{QUEUE}"' not in client.get("/").content.decode()
    assert client.get(QUEUE).status_code == 403


def test_confirming_audits_it_and_emails_the_head(school, advisers, django_capture_on_commit_callbacks):
    claimant = HeadteacherFactory(school=school, claim=True, email="claim@avenue.example")
    with django_capture_on_commit_callbacks(execute=True):
        services.school_link_confirm(user=claimant, by=advisers["own"])

    assert AuditEvent.objects.filter(verb="user.school_link_confirmed", actor=advisers["own"]).exists()
    assert [m.to for m in mail.outbox] == [["claim@avenue.example"]]
    assert "confirmed" in mail.outbox[0].subject


def test_rejecting_removes_the_school_audits_it_and_emails_the_reason(client, school, advisers):
    claimant = HeadteacherFactory(school=school, claim=True, email="claim@avenue.example")
    client.force_login(advisers["own"])
    client.post(f"{QUEUE}{claimant.pk}/reject/", {"reason": "GIAS names another head."})

    claimant.refresh_from_db()
    assert claimant.school is None and claimant.is_active
    event = AuditEvent.objects.get(verb="user.school_link_rejected")
    assert event.data == {"school_urn": school.urn, "reason": "GIAS names another head."}
    email = OutgoingEmail.objects.get(to="claim@avenue.example")
    assert "GIAS names another head." in email.body_text


@pytest.mark.parametrize("claims", [2, 12])
def test_the_queue_runs_a_fixed_number_of_queries(client, advisers, norfolk, claims, django_assert_max_num_queries):
    for _ in range(claims):
        school = SchoolFactory(local_authority=norfolk)
        HeadteacherFactory(school=school)
        HeadteacherFactory(school=school, claim=True)
    client.force_login(advisers["own"])
    with django_assert_max_num_queries(8):
        response = client.get(QUEUE)
    assert response.content.decode().count("Already has a confirmed head") == claims


def test_a_deactivated_head_still_holds_the_headship_until_the_adviser_ends_their_link(client, school, advisers):
    gone = HeadteacherFactory(school=school, is_active=False)
    assert gone.school_confirmed_at is not None and not acts_for_school(gone, school.pk)
    claimant = HeadteacherFactory(school=school, claim=True)
    client.force_login(advisers["own"])
    assert "Already has a confirmed head" in client.get(QUEUE).content.decode()
    with pytest.raises(services.SchoolLinkError):
        services.school_link_confirm(user=claimant, by=advisers["own"])

    assert client.post(f"{QUEUE}{gone.pk}/end/").status_code == 302
    services.school_link_confirm(user=claimant, by=advisers["own"])
    claimant.refresh_from_db()
    assert acts_for_school(claimant, school.pk)


def test_deleting_a_school_ends_its_confirmed_links_instead_of_failing(school):
    head = HeadteacherFactory(school=school)
    assert head.school_confirmed_at is not None

    school.delete()

    head.refresh_from_db()
    assert head.school is None and head.school_confirmed_at is None and head.school_confirmed_by is None
