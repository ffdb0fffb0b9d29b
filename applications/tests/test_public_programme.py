"""The public programme page: what an LLE is, the criteria and each round's state."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.eligibility import CRITERIA
from applications.models import Application
from applications.presenters import round_state
from applications.tests.factories import ApplicationFactory, ApplicationRoundFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
URL = "/programme/"


def _main(response) -> str:
    return response.content.decode().split('id="main-content"', 1)[1]


def test_it_is_public_and_explains_the_programme_and_every_criterion(client):
    response = client.get(URL)
    assert response.status_code == 200
    html = _main(response)
    assert "Local Leaders of Education (LLEs) are successful headteachers" in html
    for title in CRITERIA.values():
        assert title in html
    assert "you can still apply" in html
    assert "Headteacher of a teaching school" in html


def test_it_says_when_an_open_round_closes_in_uk_winter_time(client):
    ApplicationRoundFactory(closes_at=datetime(2099, 1, 2, 17, 0, tzinfo=LONDON))
    assert "Closes on Friday 2 January 2099 at 17:00" in _main(client.get(URL))


def test_it_says_when_an_open_round_closes_in_british_summer_time(client):
    # 17:00 in London in July is 16:00 UTC: the page must say 17:00.
    closes = datetime(2099, 7, 3, 16, 0, tzinfo=ZoneInfo("UTC"))
    ApplicationRoundFactory(closes_at=closes)
    assert "Closes on Friday 3 July 2099 at 17:00" in _main(client.get(URL))


def test_the_state_changes_at_the_very_second_of_closing():
    round = ApplicationRoundFactory(closes_at=datetime(2027, 1, 8, 17, 0, tzinfo=LONDON))
    just_before = round.closes_at - timedelta(seconds=1)
    assert round_state(round, just_before) == "Closes on Friday 8 January 2027 at 17:00"
    assert round_state(round, round.closes_at) == "Closed — the next round will be announced here"


def test_an_upcoming_round_shows_its_opening_date_and_key_dates(client):
    ApplicationRoundFactory(
        opens_at=datetime(2099, 3, 27, 9, 0, tzinfo=LONDON), closes_at=datetime(2099, 7, 3, 17, 0, tzinfo=LONDON),
        decisions_by=date(2099, 9, 1), induction_date=date(2099, 9, 15), places=12,
    )
    html = _main(client.get(URL))
    assert "Opens on Friday 27 March 2099 at 09:00 — closes on Friday 3 July 2099 at 17:00" in html
    assert "Opening soon" in html
    assert "Tuesday 1 September 2099" in html  # decisions by
    assert "Tuesday 15 September 2099" in html  # induction
    assert "<dt>Places</dt><dd>12</dd>" in html
    assert "Start your application" not in html


def test_a_closed_round_says_the_next_round_will_be_announced_here(client):
    ApplicationRoundFactory(closed=True, name="Autumn 2026 round")
    html = _main(client.get(URL))
    assert "Autumn 2026 round" in html
    assert "Closed — the next round will be announced here" in html
    assert "Create an account" not in html


def test_with_no_round_at_all_it_says_so(client):
    assert "There is no application round at the moment" in _main(client.get(URL))


def test_it_shows_what_the_la_most_wants_and_its_default_referee(client):
    ApplicationRoundFactory(
        priority_phases=["secondary"], priority_specialisms=["maths"],
        priority_notes="Heads from the west of the county are needed most.",
        default_referee_name="Simon Morley", default_referee_email="simon@norfolk.example",
        default_referee_organisation="Norfolk County Council",
    )
    html = _main(client.get(URL))
    assert "Norfolk particularly wants secondary headteachers." in html
    assert "Headteachers who offer mathematics are especially welcome." in html
    assert "Heads from the west of the county are needed most." in html
    assert ("This round's local authority sponsor is <strong>Simon Morley</strong> (Norfolk County Council): "
            "name them as your sponsor") in html


def test_a_visitor_is_offered_an_account_or_to_sign_in(client):
    ApplicationRoundFactory()
    html = _main(client.get(URL))
    assert f'href="{reverse("register")}"' in html
    assert "Create an account" in html
    assert 'href="/accounts/login/?next=/programme/"' in html
    assert "Start your application" not in html


def test_a_signed_in_head_starts_an_application_and_lands_on_the_task_list(client, users):
    round = ApplicationRoundFactory()
    head = users["headteacher"]
    client.force_login(head)
    assert "Start your application" in _main(client.get(URL))

    response = client.post(reverse("applications:start", args=[round.pk]))
    application = Application.objects.get(applicant=head)
    assert response.status_code == 302
    assert response.url == reverse("applications:task_list", args=[application.pk])
    assert application.school == head.school
    # Starting again returns the same draft.
    client.post(reverse("applications:start", args=[round.pk]))
    assert Application.objects.filter(applicant=head).count() == 1
    assert "Continue your application" in _main(client.get(URL))


def test_a_head_cannot_start_in_a_closed_round(client, users):
    round = ApplicationRoundFactory(closed=True)
    client.force_login(users["headteacher"])
    response = client.post(reverse("applications:start", args=[round.pk]), follow=True)
    assert "is not open for applications" in response.content.decode()
    assert not Application.objects.exists()


@pytest.mark.parametrize("role", ["adviser", "assessor", "governor"])
def test_other_roles_see_the_page_but_cannot_start(client, users, role):
    round = ApplicationRoundFactory()
    client.force_login(users[role])
    html = _main(client.get(URL))
    assert "Only headteachers can apply." in html
    assert client.post(reverse("applications:start", args=[round.pk])).status_code == 403


def test_starting_needs_a_signed_in_head(client):
    round = ApplicationRoundFactory()
    response = client.post(reverse("applications:start", args=[round.pk]))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_my_application_goes_to_the_programme_page_when_there_is_none(client, users):
    client.force_login(users["headteacher"])
    assert client.get(reverse("applications:mine")).url == URL


def test_my_application_goes_to_the_open_rounds_application(client, users):
    head = users["headteacher"]
    old = ApplicationFactory(applicant=head, round=ApplicationRoundFactory(
        opens_at=timezone.now() - timedelta(days=400), closes_at=timezone.now() - timedelta(days=300)))
    Application.objects.filter(pk=old.pk).update(status="withdrawn")
    current = ApplicationFactory(applicant=head)
    client.force_login(head)
    assert client.get(reverse("applications:mine")).url == reverse("applications:task_list", args=[current.pk])


def test_the_visitors_navigation_points_about_the_programme_here(client):
    html = client.get("/").content.decode()
    assert '<a class="nav-link" href="/programme/">About the programme</a>' in html
