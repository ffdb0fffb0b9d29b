"""The status page: the status in words, the timeline, what comes next, the
sponsor's status (never the reference), withdrawal, and bounded queries."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applications import services
from applications.models import Application
from applications.tests.factories import ApplicationFactory, ApplicationRoundFactory
from lle_portal.audit import audit_record
from lle_portal.emails import email_queue
from lle_portal.models import AuditEvent
from lle_portal.tests.factories import HeadteacherFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def application(users):
    return ApplicationFactory(applicant=users["headteacher"], complete=True, declared_inspection_date=date(2019, 3, 12))


@pytest.fixture
def head(client, users):
    client.force_login(users["headteacher"])
    return client


def _detail(client, application) -> str:
    return client.get(reverse("applications:detail", args=[application.pk])).content.decode()


def _submit(application, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.application_submit(application=application, by=application.applicant)


def test_a_draft_says_it_is_not_submitted_and_until_when_it_can_be(head, application):
    html = _detail(head, application)
    assert "Not submitted" in html
    assert "You can change your answers and submit until" in html
    assert "Given when you submit" in html
    assert "Continue your application" in html


def test_after_submission_the_timeline_says_what_happened_in_uk_time(
    head, application, users, django_capture_on_commit_callbacks
):
    services.application_start(round=application.round, applicant=users["headteacher"])  # returns the draft
    audit_record(verb="application.started", target=application, actor=users["headteacher"])
    application = _submit(application, django_capture_on_commit_callbacks)
    html = _detail(head, application)
    assert application.reference_number in html
    assert "The adviser is checking Part A" in html
    assert "You started your application." in html
    assert f"You submitted your application (reference {application.reference_number})." in html
    assert "We emailed you a confirmation with your reference number." in html
    local = timezone.localtime(application.submitted_at)
    assert f"{local.day} {local:%B %Y}, {local:%H:%M}" in html


def test_what_comes_next_follows_the_stages_with_the_rounds_dates(head, users):
    round = ApplicationRoundFactory(decisions_by=date(2099, 9, 1), induction_date=date(2099, 9, 15))
    application = ApplicationFactory(applicant=users["headteacher"], round=round)
    html = _detail(head, application)
    for stage in ("Verification of Part A", "Assessment of Part B", "Review of your reference",
                  "Designation panel", "Induction and training"):
        assert stage in html
    assert "Decisions by Tuesday 1 September 2099." in html
    assert "Induction: Tuesday 15 September 2099." in html


def test_the_sponsors_status_is_shown_but_never_the_reference(head, application, django_capture_on_commit_callbacks):
    application = _submit(application, django_capture_on_commit_callbacks)
    audit_record(verb="reference.received", target=application, actor_label="referee link",
                 data={"text": "A confidential reference: strong candidate."})
    html = _detail(head, application)
    assert "Dr Helen Price, Norfolk County Council" in html
    assert "Your sponsor gave their reference." in html
    assert "confidential reference" not in html


def test_staff_only_events_and_emails_to_other_people_stay_out_of_the_timeline(
    head, application, users, django_capture_on_commit_callbacks
):
    application = _submit(application, django_capture_on_commit_callbacks)
    audit_record(verb="application.criterion_verified", target=application, actor=users["adviser"],
                 data={"criterion": "headship", "outcome": "query"})
    email_queue(to="assessor@example.org", template="application_submitted", about=application,
                context={"application": application, "applicant": application.applicant})
    html = _detail(head, application)
    assert "criterion" not in html
    assert html.count("We emailed you a confirmation") == 1


def test_a_panel_decision_is_not_shown_before_it_is_emailed(head, application, users):
    Application.objects.filter(pk=application.pk).update(
        status="designated", decision="designated", submitted_at=timezone.now(), reference_number="LLE-2026-09999")
    audit_record(verb="application.designated", target=application, actor=users["adviser"])
    html = _detail(head, application)
    assert "With the designation panel" in html
    assert "Designated" not in html.replace("designation", "")
    Application.objects.filter(pk=application.pk).update(decision_emailed_at=timezone.now())
    audit_record(verb="application.decision_emailed", target=application, actor_label="celery")
    html = _detail(head, application)
    assert "You have been designated as a Local Leader of Education." in html
    assert "The designation panel&#x27;s decision was sent to you." in html


# --- withdrawal --------------------------------------------------------------------------


def test_withdrawing_asks_first_then_withdraws(head, application, django_capture_on_commit_callbacks):
    application = _submit(application, django_capture_on_commit_callbacks)
    url = reverse("applications:withdraw", args=[application.pk])
    assert "Withdraw application" in _detail(head, application)
    html = head.get(url).content.decode()
    assert "Are you sure you want to withdraw your application?" in html
    application.refresh_from_db()
    assert application.status == "submitted"

    response = head.post(url, {"reason": "A new post at another school."})
    assert response.url == reverse("applications:detail", args=[application.pk])
    application.refresh_from_db()
    assert application.status == "withdrawn"
    event = AuditEvent.objects.get(verb="application.withdrawn")
    assert event.data == {"reason": "A new post at another school."}
    html = _detail(head, application)
    assert "Your application has been withdrawn." in html
    assert "You withdrew your application." in html
    assert "Withdraw application" not in html


def test_an_application_that_cannot_be_withdrawn_says_so(head, application):
    Application.objects.filter(pk=application.pk).update(status="withdrawn", withdrawn_at=timezone.now())
    response = head.post(reverse("applications:withdraw", args=[application.pk]))
    assert response.url == reverse("applications:detail", args=[application.pk])
    assert "can no longer be withdrawn" in _detail(head, application)


def test_another_heads_application_cannot_be_withdrawn(head):
    theirs = ApplicationFactory(applicant=HeadteacherFactory())
    assert head.post(reverse("applications:withdraw", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "draft"


# --- a bounded number of queries ---------------------------------------------------------


# The same budget at 10 and at 500 other applications: the pages never read per row.
# 11: the footer's round contacts (applications.templatetags.programme) take one query on every page;
# 12: the England averages the performance criterion compares with (issue 12).
QUERY_BUDGET = 12


def _others(count: int) -> None:
    round = ApplicationRoundFactory()
    ApplicationFactory.create_batch(count, round=round)


@pytest.mark.parametrize("others", [10, 500])
def test_the_task_list_runs_a_fixed_number_of_queries(head, application, others, django_assert_max_num_queries):
    _others(others)
    url = reverse("applications:task_list", args=[application.pk])
    # Session, user, the application with its round, school, sponsor and LAs, its
    # verifications, and the official data (inspections, results, floor standards):
    # 8 when written; the budget leaves room for the navigation, which other apps extend.
    with django_assert_max_num_queries(QUERY_BUDGET):
        assert head.get(url).status_code == 200


@pytest.mark.parametrize("others", [10, 500])
def test_a_section_runs_a_fixed_number_of_queries(head, application, others, django_assert_max_num_queries):
    _others(others)
    url = reverse("applications:section", args=[application.pk, "performance"])
    with django_assert_max_num_queries(QUERY_BUDGET):
        assert head.get(url).status_code == 200


@pytest.mark.parametrize(("others", "events"), [(10, 5), (500, 300)])
def test_the_status_page_runs_a_fixed_number_of_queries_however_long_the_timeline(
    head, application, users, others, events, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    _others(others)
    application = _submit(application, django_capture_on_commit_callbacks)
    for n in range(events):
        audit_record(verb="referee.changed", target=application, actor=users["headteacher"],
                     data={"referee": f"Sponsor {n}"})
    url = reverse("applications:detail", args=[application.pk])
    with django_assert_max_num_queries(QUERY_BUDGET):
        html = head.get(url).content.decode()
    assert "Sponsor 0" in html and f"Sponsor {events - 1}" in html


@pytest.mark.parametrize("others", [10, 500])
def test_check_your_answers_runs_a_fixed_number_of_queries(head, application, others, django_assert_max_num_queries):
    _others(others)
    with django_assert_max_num_queries(QUERY_BUDGET):
        assert head.get(reverse("applications:check", args=[application.pk])).status_code == 200


def test_the_timeline_is_in_order(head, application, users):
    earlier = timezone.now() - timedelta(days=2)
    event = audit_record(verb="application.started", target=application, actor=users["headteacher"])
    AuditEvent.objects.filter(pk=event.pk).update(created_at=earlier)
    audit_record(verb="referee.nominated", target=application, actor=users["headteacher"],
                 data={"referee": "Dr Helen Price"})
    html = _detail(head, application)
    assert html.index("You started your application.") < html.index("You named Dr Helen Price as your sponsor.")
