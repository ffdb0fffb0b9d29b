"""References and the governing body's approval through emailed links:
tokens, the sponsor's page, chasers, and who may see what."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from applications import references, tasks
from applications.approvals import chair_approval
from applications.models import LinkRequest, LinkRequestChaser
from applications.tests.factories import ApplicationFactory, ApplicationRoundFactory
from applications.tests.test_transitions import submitted_application
from lle_portal import private_links
from lle_portal.models import OutgoingEmail
from lle_portal.tests.factories import AdviserFactory, HeadteacherFactory, LocalAuthorityFactory, UserFactory

pytestmark = pytest.mark.django_db

Kind = LinkRequest.Kind
Status = LinkRequest.Status
LINK = re.compile(r"http://testserver(/programme/reference/[A-Za-z0-9_-]+/)")

ANSWERS = {
    "action": "submit",
    "ability": "An outstanding leader who has already supported two schools.",
    "impact": "Reading results rose by twenty points in three years.",
    "senior_team": "The deputy has led the school during two secondments.",
    "commits_to_deploy": "yes",
    "safeguarding_concerns": "no",
    "safeguarding_details": "",
    "recommendation": "strongly",
}


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    # The bad-token counts live in the cache, which outlives one test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def norfolk():
    return LocalAuthorityFactory(code="926", name="Norfolk")


@pytest.fixture
def adviser(norfolk):
    return AdviserFactory(local_authorities=[norfolk])


def submit(django_capture_on_commit_callbacks, norfolk) -> LinkRequest:
    with django_capture_on_commit_callbacks(execute=True):
        application = submitted_application(round=ApplicationRoundFactory.create(local_authorities=[norfolk]))
    return application.link_requests.get(kind=Kind.REFERENCE)


def link_in(message) -> str:
    return LINK.search(message.body).group(1)  # type: ignore[union-attr]


def sent_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


# --- the request and its token ------------------------------------------------------


def test_it_emails_the_sponsor_and_the_chair_a_link_when_the_application_is_submitted(
    django_capture_on_commit_callbacks, norfolk
):
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    approval = reference.application.link_requests.get(kind=Kind.GOVERNORS_APPROVAL)

    [to_sponsor] = sent_to(reference.recipient_email)
    [to_chair] = sent_to("chair@school.example")
    assert link_in(to_sponsor) != link_in(to_chair)
    reference.refresh_from_db()
    assert reference.sent_at is not None and approval.recipient_name == "Margaret Ellis"
    assert reference.expires_at - reference.created_at == timedelta(days=28)


def test_it_never_stores_the_raw_token_anywhere_in_the_database(django_capture_on_commit_callbacks, norfolk):
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    token = link_in(sent_to(reference.recipient_email)[0]).split("/")[-2]
    assert len(token) >= 22  # at least 128 bits in base64

    assert reference.token_hash == private_links.hash_token(token)
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the schema
            for row in cursor.fetchall():
                assert not any(isinstance(v, str) and token in v for v in row), table
    # Staff still see that the email went out, with the link blanked.
    logged = OutgoingEmail.objects.get(to=reference.recipient_email)
    assert logged.sent_at and private_links.REDACTED in logged.body_text


def test_a_reminder_carries_the_same_working_link(django_capture_on_commit_callbacks, norfolk):
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    first = link_in(sent_to(reference.recipient_email)[0])
    with django_capture_on_commit_callbacks(execute=True):
        references.link_chasers_run(at=timezone.now() + timedelta(days=7, minutes=1))
    assert link_in(sent_to(reference.recipient_email)[-1]) == first


def test_it_rejects_an_expired_referee_link(client, django_capture_on_commit_callbacks, norfolk):
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    url = link_in(sent_to(reference.recipient_email)[0])
    LinkRequest.objects.filter(pk=reference.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client.get(url)
    assert response.status_code == 404
    assert b"This link cannot be used" in response.content
    assert client.post(url, ANSWERS).status_code == 404
    assert LinkRequest.objects.get(pk=reference.pk).answers == {}


def test_the_same_page_answers_a_wrong_a_tampered_and_a_cancelled_token(
    client, django_capture_on_commit_callbacks, norfolk, adviser
):
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    url = link_in(sent_to(reference.recipient_email)[0])
    tampered = url[:-3] + ("A" if url[-3] != "A" else "B") + url[-2:]
    references.link_request_cancel(link_request=reference, by=adviser)

    pages = [client.get(u) for u in (url, tampered, "/programme/reference/nonsense/")]
    assert {p.status_code for p in pages} == {404}
    assert len({p.content for p in pages}) == 1


def test_a_link_works_once_and_then_says_already_submitted(client, django_capture_on_commit_callbacks, norfolk):
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    url = link_in(sent_to(reference.recipient_email)[0])

    response = client.get(url)
    assert response.status_code == 200
    assert b"Give a reference" in response.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, ANSWERS)
    assert response.status_code == 302
    reference.refresh_from_db()
    assert reference.status == Status.RECEIVED and reference.answers["commits_to_deploy"] == "yes"
    # The first time: a confirmation naming what was sent.
    sent = client.get(response.url).content.decode()
    assert "Thank you: your reference has been sent" in sent and "already" not in sent

    page = client.get(url)
    assert b"You have already answered" in page.content and b"Submit reference" not in page.content
    # A replayed post changes nothing.
    client.post(url, {**ANSWERS, "ability": "Changed afterwards"})
    client.post(url.rstrip("/") + "/draft/", {"ability": "Changed afterwards"})
    reference.refresh_from_db()
    assert reference.answers["ability"] == ANSWERS["ability"] and reference.draft == {}


def test_resending_makes_a_new_link_and_kills_the_old_one(client, django_capture_on_commit_callbacks, norfolk,
                                                            adviser):
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    old = link_in(sent_to(reference.recipient_email)[0])
    with django_capture_on_commit_callbacks(execute=True):
        new_request = references.link_request_resend(link_request=reference, by=adviser)
    new = link_in(sent_to(reference.recipient_email)[-1])

    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert LinkRequest.objects.get(pk=reference.pk).status == Status.CANCELLED
    assert new_request.status == Status.REQUESTED


def test_one_token_cannot_open_another_reference(client, django_capture_on_commit_callbacks, norfolk):
    mine = submit(django_capture_on_commit_callbacks, norfolk)
    theirs = submit(django_capture_on_commit_callbacks, norfolk)
    url = link_in(sent_to(mine.recipient_email)[0])

    page = client.get(url)
    assert theirs.application.applicant.full_name not in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, ANSWERS)
    theirs.refresh_from_db()
    assert theirs.status == Status.REQUESTED and theirs.answers == {}


def test_the_page_shows_only_the_applicants_name_school_and_role(client, django_capture_on_commit_callbacks,
                                                                  norfolk):
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    application = reference.application
    body = client.get(link_in(sent_to(reference.recipient_email)[0])).content.decode()

    assert application.applicant.full_name in body and application.school.name in body
    assert "Local Leader of Education" in body
    for private in (application.impact_on_outcomes, application.applicant.email, application.reference_number):
        assert private not in body


def test_the_pages_are_not_cached_and_send_no_referrer(client, django_capture_on_commit_callbacks, norfolk):
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    url = link_in(sent_to(reference.recipient_email)[0])
    for response in (client.get(url), client.get("/programme/reference/wrong/"),
                     client.post(url.rstrip("/") + "/draft/", {"ability": "x"})):
        assert "no-store" in response["Cache-Control"]
        assert response["Referrer-Policy"] == "no-referrer"


def test_repeated_bad_tokens_from_one_address_are_rate_limited(client, django_capture_on_commit_callbacks, norfolk):
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    url = link_in(sent_to(reference.recipient_email)[0])
    for n in range(10):
        assert client.get(f"/programme/reference/guess{n}/").status_code == 404

    assert client.get("/programme/reference/guess-again/").status_code == 429
    assert client.post("/programme/reference/guess-again/draft/", {"ability": "x"}).status_code == 429
    assert client.get(url, REMOTE_ADDR="10.0.0.9").status_code == 200


def test_it_never_refuses_a_valid_token_after_bad_tokens_from_the_same_address(
    client, django_capture_on_commit_callbacks, norfolk
):
    # The attack on the sponsor: someone on the same school network (one
    # address behind its NAT) tries ten made-up links; the sponsor's own link
    # must still open, save a draft and take the answers.
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    url = link_in(sent_to(reference.recipient_email)[0])
    for n in range(12):
        client.get(f"/programme/reference/guess{n}/")
    assert client.get("/programme/reference/guess-again/").status_code == 429

    assert client.get(url).status_code == 200
    assert client.post(url + "draft/", {"ability": "Half a thought"}).status_code == 200
    assert client.post(url, ANSWERS).status_code == 302
    assert LinkRequest.objects.get(pk=reference.pk).status == Status.RECEIVED
    # And its answered page, opened again, is not refused either.
    assert client.get(url).status_code == 200


def test_a_real_but_expired_token_is_not_counted_as_a_guess(client, django_capture_on_commit_callbacks, norfolk):
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    url = link_in(sent_to(reference.recipient_email)[0])
    LinkRequest.objects.filter(pk=reference.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    # A sponsor clicking an old link again and again locks nobody on their network out.
    assert [client.get(url).status_code for _ in range(12)] == [404] * 12
    assert client.get("/programme/reference/a-first-guess/").status_code == 404


def test_it_never_logs_a_link_token(client, django_capture_on_commit_callbacks, norfolk, caplog):
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    url = link_in(sent_to(reference.recipient_email)[0])
    token = url.rstrip("/").rsplit("/", 1)[1]
    guesses = [f"made-up-token-number-{n}" for n in range(11)]
    caplog.set_level("INFO")

    for guess in guesses:
        client.get(f"/programme/reference/{guess}/")
    client.get(url)
    client.post(url + "draft/", {"ability": "x"})
    LinkRequest.objects.filter(pk=reference.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(url).status_code == 404  # Django logs every 404 as a warning
    assert client.post(url + "draft/", {"ability": "x"}).status_code == 404

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Not Found: /programme/reference/" in logged and "Too Many Requests" in logged
    assert token not in logged
    assert not any(guess in logged for guess in guesses)
    # At most a short prefix of the token's hash, to tell one link from another.
    assert private_links.hash_token(token)[:8] in logged


# --- the sponsor's answers ----------------------------------------------------------------


def test_a_draft_saves_as_the_sponsor_types(client, django_capture_on_commit_callbacks, norfolk):
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    url = link_in(sent_to(reference.recipient_email)[0])

    response = client.post(url + "draft/", {"ability": "Half a thought", "unknown": "ignored"})
    assert response.status_code == 200 and "saved_at" in response.json()
    reference.refresh_from_db()
    assert reference.draft == {"ability": "Half a thought"}
    assert "Half a thought" in client.get(url).content.decode()


def test_safeguarding_concerns_need_details(client, django_capture_on_commit_callbacks, norfolk):
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    url = link_in(sent_to(reference.recipient_email)[0])
    response = client.post(url, {**ANSWERS, "safeguarding_concerns": "yes"})
    assert response.status_code == 200 and b"Describe the safeguarding concerns" in response.content
    assert LinkRequest.objects.get(pk=reference.pk).status == Status.REQUESTED


def test_the_adviser_is_told_when_a_reference_arrives(client, django_capture_on_commit_callbacks, norfolk, adviser):
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    AdviserFactory(local_authorities=[LocalAuthorityFactory(code="935", name="Suffolk")])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link_in(sent_to(reference.recipient_email)[0]), ANSWERS)
    [told] = sent_to(adviser.email)
    assert "Reference received" in told.subject
    assert len([m for m in mail.outbox if "Reference received" in m.subject]) == 1


def test_declining_asks_the_head_for_a_new_sponsor_once(client, django_capture_on_commit_callbacks, norfolk):
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    url = link_in(sent_to(reference.recipient_email)[0])
    head = reference.application.applicant.email
    before = len(sent_to(head))

    assert client.post(url, {"action": "decline", "reason": ""}).status_code == 200  # a reason is needed
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "decline", "reason": "I have never worked with this school."})
        client.post(url, {"action": "decline", "reason": "Again"})
    reference.refresh_from_db()
    assert reference.status == Status.DECLINED and reference.decline_reason.startswith("I have never")
    [asked] = sent_to(head)[before:]
    assert "nominate another sponsor" in asked.subject.lower()


def test_after_a_decline_the_head_names_another_sponsor_who_is_asked_at_once(
    client, django_capture_on_commit_callbacks, norfolk
):
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    application = reference.application
    head = application.applicant
    client.force_login(head)
    section = reverse("applications:section", args=[application.pk, "referee"])
    new_sponsor = {"name": "Canon Ruth Hale", "email": "ruth.hale@diocese.example", "role": "diocese",
                   "organisation": "Diocese of Norwich", "relationship": "Diocesan adviser to the school."}
    # While the first sponsor may still answer, the sponsor cannot be changed.
    assert client.post(section, new_sponsor).status_code == 302
    application.referee.refresh_from_db()
    assert application.referee.email == reference.recipient_email
    status_page = reverse("applications:detail", args=[application.pk])
    assert "Name another sponsor" not in client.get(status_page).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(link_in(sent_to(reference.recipient_email)[0]),
                    {"action": "decline", "reason": "I do not know the school well enough."})
    assert "Name another sponsor" in client.get(status_page).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(section, new_sponsor)

    assert response.status_code == 302
    application.referee.refresh_from_db()
    assert application.referee.name == "Canon Ruth Hale"
    latest = application.link_requests.filter(kind=Kind.REFERENCE).latest("created_at")
    assert (latest.recipient_email, latest.status) == ("ruth.hale@diocese.example", Status.REQUESTED)
    assert len(sent_to("ruth.hale@diocese.example")) == 1
    # The rest of the application stays read-only.
    client.post(reverse("applications:section", args=[application.pk, "evidence"]), {"capacity": "0.5"})
    application.refresh_from_db()
    assert application.capacity == "1.0"


def test_the_governing_body_approves_through_the_same_flow(client, django_capture_on_commit_callbacks, norfolk):
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    application = reference.application
    application.__class__.objects.filter(pk=application.pk).update(governors_approved=None)
    [email] = sent_to("chair@school.example")
    url = link_in(email)

    page = client.get(url)
    assert b"governing body" in page.content and b"Decline to give a reference" not in page.content
    assert b"Say why" in client.post(url, {"action": "submit", "approve": "no"}).content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "submit", "approve": "yes", "comment": "Approved at the March meeting."})
    approval = application.link_requests.get(kind=Kind.GOVERNORS_APPROVAL)
    application.refresh_from_db()
    assert approval.status == Status.RECEIVED
    # The approval is the chair's answer; the head's own "I have asked my chair" is left as it was.
    assert chair_approval(application).approved and application.governors_approved is None
    assert b"You have already answered" in client.get(url).content


# --- chasers ----------------------------------------------------------------------------------


def chase(capture, at):
    before = len(mail.outbox)
    with capture(execute=True):
        tasks.send_reference_chasers.apply(kwargs={}) if at is None else references.link_chasers_run(at=at)
    return mail.outbox[before:]


def test_it_reminds_at_7_and_14_days_once_each_however_often_the_job_runs(
    django_capture_on_commit_callbacks, norfolk
):
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    start = reference.created_at
    capture = django_capture_on_commit_callbacks

    assert chase(capture, start + timedelta(days=6, hours=23)) == []
    day7 = chase(capture, start + timedelta(days=7, hours=1))
    assert chase(capture, start + timedelta(days=7, hours=2)) == []
    assert chase(capture, start + timedelta(days=13)) == []
    day14 = chase(capture, start + timedelta(days=14, hours=1))
    assert chase(capture, start + timedelta(days=15)) == []

    # Both go to the sponsor and the chair (two requests), once each.
    assert sorted(m.to[0] for m in day7) == sorted([reference.recipient_email, "chair@school.example"])
    assert all(m.subject.startswith("Reminder:") for m in day7 + day14) and len(day14) == 2
    reference.refresh_from_db()
    assert reference.reminder_count == 2 and reference.head_status == "Reminded"
    assert LinkRequestChaser.objects.filter(request=reference).count() == 2


def test_it_never_sends_two_reminders_within_48_hours(django_capture_on_commit_callbacks, norfolk):
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    start = reference.created_at
    capture = django_capture_on_commit_callbacks
    # The job was down for two weeks: the 7-day reminder goes first, the 14-day one two days later.
    assert len([m for m in chase(capture, start + timedelta(days=14, hours=1))
                if reference.recipient_email in m.to]) == 1
    assert chase(capture, start + timedelta(days=15, hours=12)) == []
    assert len(chase(capture, start + timedelta(days=16, hours=2))) == 2


def test_no_reminder_after_a_response(client, django_capture_on_commit_callbacks, norfolk):
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link_in(sent_to(reference.recipient_email)[0]), ANSWERS)
    sent = chase(django_capture_on_commit_callbacks, reference.created_at + timedelta(days=7, hours=1))
    assert reference.recipient_email not in [m.to[0] for m in sent]


def test_expiry_closes_the_link_and_asks_the_head_once(client, django_capture_on_commit_callbacks, norfolk):
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    head = reference.application.applicant.email
    after = reference.expires_at + timedelta(minutes=1)
    first = chase(django_capture_on_commit_callbacks, after)
    again = chase(django_capture_on_commit_callbacks, after + timedelta(days=1))

    reference.refresh_from_db()
    assert reference.status == Status.EXPIRED and reference.head_status == "Expired"
    assert len([m for m in first if head in m.to and "another sponsor" in m.subject]) == 1
    assert again == []


def test_the_beat_task_runs_the_chasers():
    assert tasks.send_reference_chasers.apply().get() == 0


# --- who sees what ------------------------------------------------------------------------------


def test_the_head_sees_the_status_never_the_text(client, django_capture_on_commit_callbacks, norfolk):
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link_in(sent_to(reference.recipient_email)[0]), ANSWERS)
    client.force_login(reference.application.applicant)

    page = client.get(reverse("applications:detail", args=[reference.application.pk])).content.decode()
    assert "Received" in page
    for text in ("ability", "impact", "senior_team"):
        assert ANSWERS[text] not in page


def test_another_head_gets_a_404_for_send_request(client, django_capture_on_commit_callbacks, norfolk):
    application = ApplicationFactory(complete=True)
    client.force_login(HeadteacherFactory())
    url = reverse("applications:send_request", args=[application.pk, Kind.REFERENCE])
    assert client.post(url).status_code == 404
    assert not LinkRequest.objects.exists()


def test_the_head_can_send_the_request_before_submitting_and_submission_sends_no_second(
    client, django_capture_on_commit_callbacks, norfolk
):
    application = ApplicationFactory(complete=True, round=ApplicationRoundFactory(local_authorities=[norfolk]),
                                     declared_inspection_date=timezone.localdate() - timedelta(days=400))
    client.force_login(application.applicant)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("applications:send_request", args=[application.pk, Kind.REFERENCE]))
    sponsor = application.referee.email
    assert len(sent_to(sponsor)) == 1
    page = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert "Requested" in page

    from applications import services
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(application=application, by=application.applicant)
    assert len(sent_to(sponsor)) == 1
    assert LinkRequest.objects.filter(application=application, kind=Kind.REFERENCE).count() == 1


def test_staff_see_the_text_and_the_emails_and_can_resend(client, django_capture_on_commit_callbacks, norfolk,
                                                          adviser):
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link_in(sent_to(reference.recipient_email)[0]), ANSWERS)
    approval = reference.application.link_requests.get(kind=Kind.GOVERNORS_APPROVAL)
    client.force_login(adviser)

    page = client.get(reverse("applications:staff_verify", args=[reference.application.pk])).content.decode()
    assert ANSWERS["ability"] in page and "Strongly recommend" in page
    assert "Reference requested for" in page  # the email, with when it went out
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("applications:staff_link_request", args=[approval.pk, "resend"]))
    assert LinkRequest.objects.get(pk=approval.pk).status == Status.CANCELLED

    other = AdviserFactory(local_authorities=[LocalAuthorityFactory(code="935", name="Suffolk")])
    client.force_login(other)
    assert client.post(reverse("applications:staff_link_request", args=[reference.pk, "cancel"])).status_code == 404


def test_the_emailed_links_are_an_internal_table_only_a_superuser_opens_in_the_admin(
        client, django_capture_on_commit_callbacks, norfolk, adviser):
    """Advisers read references, and resend or cancel them, on the verification
    page (above); the admin's table of emailed links is for superusers."""
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link_in(sent_to(reference.recipient_email)[0]), ANSWERS)
    client.force_login(UserFactory(role="adviser", is_staff=True, is_superuser=True))

    page = client.get(reverse("admin:applications_linkrequest_change", args=[reference.pk])).content.decode()
    assert ANSWERS["impact"] in page and "Strongly recommend" in page and "Reference requested for" in page
    client.force_login(adviser)
    assert client.get(reverse("admin:applications_linkrequest_change", args=[reference.pk])).status_code == 403
    assert client.get(reverse("admin:applications_linkrequest_changelist")).status_code == 403


def test_the_panel_reads_the_sponsors_reference(client, django_capture_on_commit_callbacks, norfolk, adviser):
    from applications.tests.test_transitions import assessed_application

    round = ApplicationRoundFactory(local_authorities=[norfolk])
    with django_capture_on_commit_callbacks(execute=True):
        application = assessed_application(adviser, round)
    reference = application.link_requests.get(kind=Kind.REFERENCE)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link_in(sent_to(reference.recipient_email)[0]), ANSWERS)
    client.force_login(adviser)

    page = client.get(reverse("applications:staff_panel", args=[round.pk])).content.decode()

    assert "Reading results rose by twenty points in three years." in page
    assert f"Reference from {reference.recipient_name}" in page
