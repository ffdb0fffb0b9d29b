"""The adviser's recruitment admin: rounds, applications (read-only answers,
actions that call services), LLE profiles and training cohorts."""

from datetime import date, timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from applications import services
from applications.models import Application, ApplicationRound, LLEProfile, TrainingCohort
from applications.tests.factories import ApplicationRoundFactory
from applications.tests.states import assessed_application, submitted_application, verify
from lle_portal.models import LocalAuthority
from lle_portal.tests.factories import InspectionFactory

pytestmark = pytest.mark.django_db
Status = Application.Status


@pytest.fixture
def adviser_client(client, users):
    client.force_login(users["adviser"])
    return client


# --- rounds -------------------------------------------------------------------


def round_form(**overrides) -> dict:
    data = {
        "name": "Norfolk LLE recruitment 2027", "local_authorities": [LocalAuthority.objects.get(code="926").pk],
        "opens_at_0": "2027-01-04", "opens_at_1": "09:00", "closes_at_0": "2027-02-05", "closes_at_1": "17:00",
        "decisions_by": "2027-03-19", "induction_date": "2027-04-20", "training_starts": "2027-04-21",
        "places": "6", "priority_phases": ["secondary"], "priority_specialisms": ["maths", "send"],
        "priority_notes": "", "default_referee_name": "Simon Morley",
        "default_referee_email": "simon.morley@norfolk.example", "default_referee_role": "la_officer",
        "default_referee_organisation": "Norfolk County Council",
        "good_leadership_grades": ["1", "2"], "report_card_leadership_at_least": "3", "high_performance": "on",
        "improving_years": "3",
        # The round's contacts (an inline): none unless a test adds some.
        "contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0", "contacts-MAX_NUM_FORMS": "1000",
    }
    return {**data, **overrides}


def test_it_lets_an_adviser_list_a_rounds_contacts_and_word_its_rubric(adviser_client):
    from applications.rubric import DEFAULT_DESCRIPTORS, rubric_for

    form = adviser_client.get(reverse("admin:applications_applicationround_add")).context["adminform"].form
    # The boxes start with the default words.
    assert form.fields["rubric_capacity_3"].initial == DEFAULT_DESCRIPTORS["capacity"][3]
    data = round_form(**{
        "contacts-TOTAL_FORMS": "1",
        "contacts-0-name": "Chris Snudden", "contacts-0-role": "LLE programme contact",
        "contacts-0-phone": "01603 303322", "contacts-0-email": "chris@norfolk.example", "contacts-0-order": "0",
        "rubric_impact_on_outcomes_4": "Results rose for every group of pupils for three years.",
        "rubric_capacity_3": DEFAULT_DESCRIPTORS["capacity"][3],
    })
    response = adviser_client.post(reverse("admin:applications_applicationround_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    round = ApplicationRound.objects.get()
    assert [(c.name, c.phone) for c in round.contacts.all()] == [("Chris Snudden", "01603 303322")]
    # Only the adviser's own wording is stored; the rest follows the defaults.
    assert round.rubric_descriptors == {
        "impact_on_outcomes": {"4": "Results rose for every group of pupils for three years."}}
    impact = rubric_for(round)[0]
    assert impact.levels[3][2] == "Results rose for every group of pupils for three years."
    assert impact.levels[0][2] == DEFAULT_DESCRIPTORS["impact_on_outcomes"][1]


def test_an_adviser_adds_a_round_with_its_priorities_in_uk_time(adviser_client):
    response = adviser_client.post(reverse("admin:applications_applicationround_add"), round_form())
    assert response.status_code == 302, response.context["adminform"].form.errors
    round = ApplicationRound.objects.get()
    assert round.priority_phases == ["secondary"]
    assert round.priority_specialisms == ["maths", "send"]
    # 17:00 in February is 17:00 GMT; the form reads times as UK time.
    assert timezone.localtime(round.closes_at).hour == 17
    assert round.closes_at.utcoffset() is not None


def test_an_adviser_sets_what_counts_for_eligibility_in_a_round(adviser_client):
    response = adviser_client.post(reverse("admin:applications_applicationround_add"), round_form(
        good_leadership_grades=["1"], report_card_leadership_at_least="2", high_performance="", improving_years="2",
    ))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert ApplicationRound.objects.get().eligibility_rules == {
        "good_leadership_grades": [1], "report_card_leadership_at_least": 2, "high_performance": False,
        "improving_years": 2,
    }
    page = adviser_client.get(reverse("admin:applications_applicationround_change",
                                      args=[ApplicationRound.objects.get().pk])).content.decode()
    assert "Eligibility rules" in page and "Years of continued improvement" in page


def test_a_round_with_unusable_stored_rules_falls_back_to_the_defaults():
    from lle_portal.schooldata import EligibilityRules

    assert EligibilityRules.from_data({"good_leadership_grades": ["x"], "improving_years": 99,
                                       "report_card_leadership_at_least": 7, "high_performance": "yes"}) \
        == EligibilityRules()
    assert EligibilityRules.from_data("not a dict") == EligibilityRules()


def test_the_round_form_refuses_a_round_that_closes_before_it_opens(adviser_client):
    response = adviser_client.post(reverse("admin:applications_applicationround_add"),
                                   round_form(closes_at_0="2026-12-01"))
    assert response.status_code == 200
    assert "must close after it opens" in response.content.decode()
    assert not ApplicationRound.objects.exists()


def test_an_adviser_can_only_choose_their_own_las_and_keeps_another_advisers_la_on_a_shared_round(
    adviser_client, users
):
    suffolk = LocalAuthority.objects.get(code="935")
    norfolk = LocalAuthority.objects.get(code="926")
    response = adviser_client.get(reverse("admin:applications_applicationround_add"))
    choices = list(response.context["adminform"].form.fields["local_authorities"].queryset)
    assert choices == [norfolk]

    shared = ApplicationRoundFactory(local_authorities=[norfolk, suffolk])
    data = round_form(name="Shared round", places="9")
    response = adviser_client.post(reverse("admin:applications_applicationround_change", args=[shared.pk]), data)
    assert response.status_code == 302
    shared.refresh_from_db()
    assert shared.places == 9
    assert set(shared.local_authorities.all()) == {norfolk, suffolk}


def test_the_rounds_list_shows_state_and_counts_against_places(adviser_client, users):
    round = ApplicationRoundFactory(places=4)
    application = assessed_application(users["adviser"], round)
    services.panel_decide(application=application, decision="designated", reasons="Strong.", by=users["adviser"])
    submitted_application(round)
    from applications.tests.factories import ApplicationFactory

    ApplicationFactory(round=round)

    response = adviser_client.get(reverse("admin:applications_applicationround_changelist"))
    [row] = response.context["cl"].result_list
    assert (row.draft_count, row.submitted_count, row.designated_count) == (1, 2, 1)
    page = response.content.decode()
    assert "1 / 4" in page and "Open" in page


# --- applications --------------------------------------------------------------


def test_the_application_page_is_read_only_and_shows_part_a_beside_the_official_data(adviser_client, users):
    application = assessed_application(users["adviser"])
    InspectionFactory(school=application.school, inspection_date=date(2019, 3, 12), leadership_and_management=2)

    response = adviser_client.get(reverse("admin:applications_application_change", args=[application.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="_save"' not in page  # nothing to save: the answers are the head's
    assert "Part A beside the official data" in page
    assert "Inspected 12 March 2019: leadership and management good" in page
    assert application.impact_on_outcomes in page
    assert "Dr Helen Price" in page  # sponsor nomination, staff only
    assert "Clear evidence of impact." in page  # the assessor's comments
    assert "application.assessed" in page  # the history


def test_the_change_page_cannot_be_saved(adviser_client):
    application = submitted_application()
    response = adviser_client.post(reverse("admin:applications_application_change", args=[application.pk]),
                                   {"impact_on_outcomes": "Rewritten by someone else."})
    assert response.status_code == 403
    application.refresh_from_db()
    assert application.impact_on_outcomes != "Rewritten by someone else."


def test_the_list_filters_by_status_and_working_towards_and_finds_by_reference(adviser_client):
    keen = submitted_application()
    Application.objects.filter(pk=keen.pk).update(working_towards_eligibility=True)
    other = submitted_application()
    url = reverse("admin:applications_application_changelist")

    found = adviser_client.get(url, {"working_towards_eligibility__exact": "1"}).context["cl"].result_list
    assert list(found) == [keen]
    found = adviser_client.get(url, {"q": other.reference_number}).context["cl"].result_list
    assert list(found) == [other]
    found = adviser_client.get(url, {"status__exact": "submitted", "round": str(other.round_id)})
    assert list(found.context["cl"].result_list) == [other]


def run_action(client, action: str, objects, url: str, **extra):
    return client.post(url, {"action": action, ACTION_CHECKBOX_NAME: [o.pk for o in objects], **extra}, follow=True)


def test_the_la_approval_and_withdraw_actions_call_the_services(adviser_client, users):
    application = submitted_application()
    decided = assessed_application(users["adviser"])
    services.panel_decide(application=decided, decision="designated", reasons="Strong.", by=users["adviser"])
    url = reverse("admin:applications_application_changelist")

    run_action(adviser_client, "record_la_approval", [application], url)
    application.refresh_from_db()
    assert application.la_approved_by == users["adviser"]

    response = run_action(adviser_client, "withdraw", [application, decided], url)
    page = response.content.decode()
    assert "Withdrawn: 1." in page
    assert "cannot withdraw an application that is designated" in page
    application.refresh_from_db()
    decided.refresh_from_db()
    assert (application.status, decided.status) == (Status.WITHDRAWN, Status.DESIGNATED)


# --- LLE profiles and training ---------------------------------------------------


@pytest.fixture
def profile(users) -> LLEProfile:
    application = assessed_application(users["adviser"])
    services.panel_decide(application=application, decision="designated", reasons="Strong.", by=users["adviser"])
    return application.lle_profile


def test_add_to_cohort_asks_for_the_cohort_then_enforces_the_8_week_rule(adviser_client, profile):
    designated = profile.designated_on
    good = TrainingCohort.objects.create(round=profile.application.round, name="Spring cohort",
                                         starts_on=designated + timedelta(weeks=3),
                                         ends_on=designated + timedelta(weeks=7))
    late = TrainingCohort.objects.create(round=profile.application.round, name="Summer cohort",
                                         starts_on=designated + timedelta(weeks=6),
                                         ends_on=designated + timedelta(weeks=10))
    url = reverse("admin:applications_lleprofile_changelist")

    response = run_action(adviser_client, "add_to_cohort", [profile], url)
    assert "the cohort must finish within 8 weeks" in response.content.decode()
    assert "Spring cohort" in response.content.decode()

    response = run_action(adviser_client, "add_to_cohort", [profile], url, apply="yes", cohort=late.pk)
    assert "more than 8 weeks after designation" in response.content.decode()
    profile.refresh_from_db()
    assert profile.cohort is None

    run_action(adviser_client, "add_to_cohort", [profile], url, apply="yes", cohort=good.pk)
    profile.refresh_from_db()
    assert profile.cohort == good

    cohort_page = adviser_client.get(reverse("admin:applications_trainingcohort_change", args=[good.pk]))
    assert profile.user.full_name in cohort_page.content.decode()


def test_mark_training_complete_makes_the_lle_deployable(adviser_client, profile, users):
    cohort = TrainingCohort.objects.create(round=profile.application.round, name="Now",
                                           starts_on=profile.designated_on,
                                           ends_on=profile.designated_on + timedelta(weeks=6))
    services.cohort_join(profile=profile, cohort=cohort, by=users["adviser"])
    url = reverse("admin:applications_lleprofile_changelist")

    run_action(adviser_client, "mark_training_complete", [profile], url, apply="yes",
               trained_on=timezone.localdate().isoformat())

    profile.refresh_from_db()
    assert profile.trained_on == timezone.localdate()
    assert list(LLEProfile.objects.deployable()) == [profile]
    deployable = adviser_client.get(url, {"trained": "deployable"}).context["cl"].result_list
    assert list(deployable) == [profile]


def test_an_adviser_sees_no_lle_of_another_la(client, users, profile):
    client.force_login(users["other_adviser"])
    assert client.get(reverse("admin:applications_lleprofile_changelist")).context["cl"].result_count == 0
    response = client.get(reverse("admin:applications_lleprofile_change", args=[profile.pk]))
    assert response.status_code == 404


def test_the_application_page_shows_a_link_to_the_next_staff_page(adviser_client, users):
    application = verify(submitted_application(), users["adviser"])
    page = adviser_client.get(reverse("admin:applications_application_change", args=[application.pk])).content
    assert reverse("applications:staff_assign", args=[application.pk]) in page.decode()
