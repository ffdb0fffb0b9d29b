"""The sections of the application: each saves, keeps what was typed on an
error, explains eligibility as the head goes, and the task list adds up."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.eligibility import Eligibility, eligibility_for
from applications.models import Application, RefereeNomination
from applications.tests.factories import ApplicationFactory, ApplicationRoundFactory
from lle_portal.models import AuditEvent
from lle_portal.tests.factories import InspectionFactory, SchoolFactory, SchoolResultFactory

pytestmark = pytest.mark.django_db

EVIDENCE = {
    "impact_on_outcomes": "Attainment rose from 55% to 78%.",
    "school_improvement": "From requires improvement to good.",
    "supporting_others": "Coached two new heads.",
    "capacity": "1.0",
    "capacity_notes": "",
}
VALID = {
    "school": None,  # filled in by the fixture
    "performance": {
        "declared_inspection_date": "12/03/2019", "declared_overall_effectiveness": "2", "declared_leadership": "2",
        "declared_above_floor": "yes", "performance_summary": "Above the national average for three years.",
    },
    "offer": {"slt_can_cover": "yes", "slt_details": "My deputy leads.", "phase_offered": "primary",
              "specialisms": ["maths", "send"]},
    "evidence": EVIDENCE,
    "approvals": {"chair_of_governors_name": "Margaret Ellis", "chair_of_governors_email": "chair@school.example",
                  "governors_approved": "yes", "slt_approved": "no"},
}


@pytest.fixture
def application(users):
    return ApplicationFactory(applicant=users["headteacher"])


@pytest.fixture
def head(client, users):
    client.force_login(users["headteacher"])
    return client


def _url(application, key):
    return reverse("applications:section", args=[application.pk, key])


def _post(client, application, key, data, action="continue", **extra):
    return client.post(_url(application, key), {**data, "action": action, **extra})


def _school_data(application, **overrides):
    return {"school_query": "", "school": application.school_id, "appointed_head_on": "1/9/2018",
            "previous_headship_years": "2", "previous_headships": "Old School, 2014 to 2016.", **overrides}


def _html(response) -> str:
    return response.content.decode()


# --- each section saves --------------------------------------------------------------


def test_it_saves_the_school_section_and_continues_to_the_next_section(head, application):
    response = _post(head, application, "school", _school_data(application))
    assert response.url == reverse("applications:section", args=[application.pk, "performance"])
    application.refresh_from_db()
    assert application.appointed_head_on == date(2018, 9, 1)
    assert application.previous_headship_years == Decimal("2")
    assert application.previous_headships == "Old School, 2014 to 2016."


@pytest.mark.parametrize("key", ["performance", "offer", "evidence", "approvals"])
def test_each_section_saves_its_answers_and_is_then_completed(head, application, key):
    response = _post(head, application, key, VALID[key])
    assert response.status_code == 302
    application.refresh_from_db()
    html = _html(head.get(reverse("applications:task_list", args=[application.pk])))
    title = {"performance": "Inspection and pupil performance", "offer": "Your senior team and what you offer",
             "evidence": "Evidence of your leadership", "approvals": "Approvals"}[key]
    row = html.split(f">{title}</a>", 1)[1].split("</li>", 1)[0]
    assert "Completed" in row


def test_the_answers_are_stored_as_typed_values(head, application):
    for key in ("performance", "offer", "approvals"):
        _post(head, application, key, VALID[key])
    application.refresh_from_db()
    assert application.declared_inspection_date == date(2019, 3, 12)
    assert application.declared_leadership == 2
    assert application.slt_can_cover is True
    assert application.specialisms == ["maths", "send"]
    assert application.slt_approved is False


def test_an_invalid_answer_is_shown_again_with_everything_typed_and_a_linked_error(head, application):
    data = {**VALID["performance"], "declared_inspection_date": "31/02/2019", "performance_summary": "Kept text."}
    response = _post(head, application, "performance", data)
    html = _html(response)
    assert response.status_code == 200
    assert "There is a problem" in html
    # The summary names the question; the message under the field is the same words.
    assert ('<a href="#id_declared_inspection_date">Date of your school&#x27;s most recent Ofsted inspection: '
            'Enter a real date') in html
    assert 'value="31/02/2019"' in html
    assert "Kept text." in html
    # The answers that were valid on their own are saved, so nothing is lost.
    application.refresh_from_db()
    assert application.performance_summary == "Kept text."
    assert application.declared_inspection_date is None


def test_a_missing_required_answer_names_the_field(head, application):
    data = {**VALID["offer"], "phase_offered": ""}
    html = _html(_post(head, application, "offer", data))
    assert '<a href="#id_phase_offered_0">' in html
    assert "Choose the phase you would support." in html


def test_save_and_come_back_later_saves_what_is_valid_even_if_incomplete(head, application):
    response = _post(head, application, "approvals", {"chair_of_governors_name": "Margaret Ellis"}, action="later")
    assert response.url == reverse("applications:task_list", args=[application.pk])
    application.refresh_from_db()
    assert application.chair_of_governors_name == "Margaret Ellis"
    html = _html(head.get(response.url))
    assert "Your answers have been saved" in html
    assert "In progress" in html


def test_save_and_come_back_later_keeps_an_invalid_answer_on_the_page(head, application):
    data = {"chair_of_governors_name": "Margaret Ellis", "chair_of_governors_email": "not-an-email"}
    response = _post(head, application, "approvals", data, action="later")
    assert response.status_code == 200
    assert 'value="not-an-email"' in _html(response)
    application.refresh_from_db()
    assert (application.chair_of_governors_name, application.chair_of_governors_email) == ("Margaret Ellis", "")


def test_a_change_link_from_check_your_answers_returns_there(head, application):
    response = _post(head, application, "approvals", VALID["approvals"], **{"return": "check"})
    assert response.url == reverse("applications:check", args=[application.pk])
    html = _html(head.get(_url(application, "approvals") + "?return=check"))
    assert '<input type="hidden" name="return" value="check">' in html


def test_saving_one_section_never_touches_another(head, application):
    """Two tabs on two sections: each save writes only its own section's fields."""
    _post(head, application, "offer", VALID["offer"])
    stale_tab = {**VALID["approvals"]}
    _post(head, application, "approvals", stale_tab)
    application.refresh_from_db()
    assert application.specialisms == ["maths", "send"]
    assert application.chair_of_governors_name == "Margaret Ellis"


def test_the_senior_team_must_say_how_it_covers(head, application):
    html = _html(_post(head, application, "offer", {**VALID["offer"], "slt_details": " "}))
    assert "Say how your senior team will lead the school while you are away." in html


def test_a_date_in_the_future_is_refused(head, application):
    tomorrow = timezone.localdate() + timedelta(days=1)
    data = _school_data(application, appointed_head_on=f"{tomorrow:%d/%m/%Y}")
    assert "must be today or in the past" in _html(_post(head, application, "school", data))


# --- Part B word limits ----------------------------------------------------------------


def test_a_part_b_answer_over_its_word_limit_is_refused_by_the_server(head, application):
    data = {**EVIDENCE, "supporting_others": "word " * 401}
    response = _post(head, application, "evidence", data)
    html = _html(response)
    assert response.status_code == 200
    assert ("Your answer to ‘Coaching, mentoring or supporting other schools’ is 401 words. "
            "Cut it to 400 words or fewer.") in html
    assert 'data-word-limit="400"' in html
    assert "Up to 400 words." in html


def test_an_answer_at_its_word_limit_is_accepted(head, application):
    response = _post(head, application, "evidence", {**EVIDENCE, "supporting_others": "word " * 400})
    assert response.status_code == 302


def test_a_draft_over_the_limit_is_kept_but_the_section_is_not_complete(head, application):
    _post(head, application, "evidence", {**EVIDENCE, "capacity_notes": "word " * 151}, action="later")
    application.refresh_from_db()
    assert application.capacity_notes.count("word") == 151
    html = _html(head.get(reverse("applications:task_list", args=[application.pk])))
    row = html.split(">Evidence of your leadership</a>", 1)[1].split("</li>", 1)[0]
    assert "In progress" in row


# --- the school, found by URN or name ---------------------------------------------------


def test_find_school_lists_matches_and_keeps_and_saves_the_other_answers(head, application):
    SchoolFactory(urn=140001, name="Wymondham High Academy")
    data = _school_data(application, school_query="wymondham", previous_headships="Typed before searching.")
    response = _post(head, application, "school", data, action="find_school")
    html = _html(response)
    assert "1 school found" in html
    assert "Wymondham High Academy (URN 140001)" in html
    assert "Typed before searching." in html
    assert "There is a problem" not in html
    application.refresh_from_db()
    assert application.previous_headships == "Typed before searching."


def test_a_school_chosen_from_the_search_is_saved(head, application):
    other = SchoolFactory(urn=140001, name="Wymondham High Academy")
    _post(head, application, "school", _school_data(application, school=other.pk))
    application.refresh_from_db()
    assert application.school == other


# --- eligibility explained as the head goes ---------------------------------------------


def test_the_school_section_explains_a_headship_that_is_too_short(head, application):
    a_year_ago = timezone.localdate() - timedelta(days=366)
    _post(head, application, "school",
          _school_data(application, appointed_head_on=f"{a_year_ago:%d/%m/%Y}", previous_headship_years="1"))
    html = _html(head.get(_url(application, "school")))
    assert "How this affects your eligibility" in html
    assert "Not met" in html
    assert "You have been a headteacher for 2 years; the programme asks for at least 3 years." in html


def test_the_performance_section_shows_the_official_data_beside_the_answers(head, application):
    InspectionFactory(school=application.school, inspection_date=date(2019, 3, 12), leadership_and_management=3)
    for year, value in ((2017, 61), (2018, 66), (2019, 70)):
        SchoolResultFactory(school=application.school, year=year, value=value)
    SchoolResultFactory(school=application.school, year=2019, measure="READPROG", value=None, marker="SUPP")
    _post(head, application, "performance", VALID["performance"])
    html = _html(head.get(_url(application, "performance")))
    official = html.split("What the official data says", 1)[1]
    assert "12 March 2019" in official
    assert "Requires improvement" in official
    assert "<th scope=\"col\">2017</th><th scope=\"col\">2018</th><th scope=\"col\">2019</th>" in official
    assert "<td>61%</td><td>66%</td><td>70%</td>" in official
    assert "Not published (SUPP)" in official
    # The head said "good"; the record says requires improvement: flagged, explained.
    assert "the official record says requires improvement" in html


def test_the_performance_section_shows_a_report_card_and_the_performance_criterion(head, application):
    InspectionFactory(
        school=application.school, inspection_date=date(2026, 1, 20), overall_effectiveness=None,
        leadership_and_management=None, framework="report_card", inspection_type="report_card", safeguarding="met",
        evaluation_areas={"inclusion": 2, "leadership_and_governance": 3}, source="demo",
    )
    for year, value in ((2023, 55), (2024, 58), (2025, 63)):
        SchoolResultFactory(school=application.school, year=year, value=value)
    html = _html(head.get(_url(application, "performance")))
    official = html.split("What the official data says", 1)[1]
    assert "Report card inspection" in official
    assert "Leadership and governance</dt><dd>Expected standard" in official
    assert "Safeguarding</dt><dd>Met" in official
    assert "this inspection is illustrative" in official
    assert "High levels of pupil performance or continued improvement" in html
    assert "Results rose in each of the last 3 published years (2023, 2024 and 2025)." in html


def test_the_task_list_has_an_eligibility_panel_with_each_criterion(head, application):
    html = _html(head.get(reverse("applications:task_list", args=[application.pk])))
    assert "You have completed 0 of 6 sections." in html
    panel = html.split('class="eligibility-panel"', 1)[1]
    for status in ("To be verified",):
        assert f">{status}</strong>" in panel
    assert "Serving headteacher for at least 3 years" in panel
    assert "Check your answers and submit" in html and "Cannot start yet" in html


def test_the_check_link_appears_once_every_section_is_complete(head, users):
    # The factory's `complete` trait leaves out the inspection date, which the section requires.
    application = ApplicationFactory(applicant=users["headteacher"], complete=True,
                                     declared_inspection_date=date(2019, 3, 12))
    html = _html(head.get(reverse("applications:task_list", args=[application.pk])))
    assert "You have completed 6 of 6 sections." in html
    assert f'href="{reverse("applications:check", args=[application.pk])}"' in html


def test_an_unknown_section_is_a_404(head, application):
    assert head.get(_url(application, "nonsense")).status_code == 404


def test_eligibility_lookups_by_an_unknown_key_raise_key_error_so_templates_fall_back():
    # Templates look `eligibility.not_met` up as a key first; StopIteration there crashed the page.
    eligibility = eligibility_for(ApplicationFactory(school=None))
    with pytest.raises(KeyError):
        eligibility["not_met"]
    assert isinstance(eligibility, Eligibility)


# --- the sponsor ------------------------------------------------------------------------

SPONSOR = {"name": "Dr Helen Price", "email": "Helen.Price@Norfolk.example", "role": "la_officer",
           "organisation": "Norfolk County Council", "relationship": "Link adviser for five years."}


def test_the_sponsor_is_nominated(head, application):
    response = _post(head, application, "referee", SPONSOR)
    assert response.status_code == 302
    nomination = RefereeNomination.objects.get(application=application)
    assert (nomination.name, nomination.email, nomination.is_round_default) == (
        "Dr Helen Price", "helen.price@norfolk.example", False)
    assert AuditEvent.objects.filter(verb="referee.nominated").count() == 1
    # Saving the same sponsor again changes (and audits) nothing.
    _post(head, application, "referee", SPONSOR)
    assert not AuditEvent.objects.filter(verb="referee.changed").exists()


def test_the_head_cannot_be_their_own_sponsor(head, application, users):
    response = _post(head, application, "referee", {**SPONSOR, "email": users["headteacher"].email.upper()})
    html = _html(response)
    assert response.status_code == 200
    assert '<a href="#id_email">Your sponsor&#x27;s email address: Your sponsor must be someone else' in html
    assert "Link adviser for five years." in html
    assert not RefereeNomination.objects.exists()


def test_an_incomplete_sponsor_is_shown_again_with_errors(head, application):
    html = _html(_post(head, application, "referee", {**SPONSOR, "role": ""}))
    assert "Choose your sponsor&#x27;s role." in html
    assert 'value="Dr Helen Price"' in html


def test_one_click_names_the_rounds_default_la_referee(head, users):
    round = ApplicationRoundFactory(default_referee_name="Simon Morley", default_referee_email="Simon@Norfolk.example",
                                    default_referee_organisation="Norfolk County Council")
    application = ApplicationFactory(applicant=users["headteacher"], round=round)
    html = _html(head.get(_url(application, "referee")))
    assert "Use Simon Morley as my sponsor" in html
    head.post(_url(application, "referee"), {"action": "use_default"})
    nomination = RefereeNomination.objects.get(application=application)
    assert (nomination.name, nomination.email, nomination.role, nomination.is_round_default) == (
        "Simon Morley", "simon@norfolk.example", RefereeNomination.Role.LA_OFFICER, True)


def test_a_round_without_a_default_referee_offers_no_button(head, application):
    assert "as my sponsor" not in _html(head.get(_url(application, "referee")))


def test_the_approvals_section_says_the_la_approves_later(head, application):
    assert "Your local authority gives its approval after you apply" in _html(head.get(_url(application, "approvals")))


def test_a_closed_rounds_draft_says_it_can_no_longer_be_submitted(head, users):
    application = ApplicationFactory(applicant=users["headteacher"], round=ApplicationRoundFactory(closed=True))
    html = _html(head.get(reverse("applications:task_list", args=[application.pk])))
    assert "Applications can no longer be submitted." in html
    assert Application.objects.get(pk=application.pk).status == "draft"
