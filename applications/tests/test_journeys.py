"""The stumbles of issue 15, one test each, through Django's test client: what
a visitor, a headteacher, a referee and an assessor would notice."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, Assessment, LinkRequest, RoundContact
from applications.rubric import DEFAULT_DESCRIPTORS
from applications.templatetags.programme import lower_first
from applications.tests.factories import ApplicationFactory, ApplicationRoundFactory
from applications.tests.states import LINK, norfolk, sent_to, submit, submitted_application  # noqa: F401
from lle_portal.tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _main(html: str) -> str:
    return html.split('id="main-content"', 1)[1].split("</main>", 1)[0]


def _footer(html: str) -> str:
    return html.split('<footer', 1)[1]


def _contacts(round):
    RoundContact.objects.create(round=round, name="Simon Morley", role="LA contact for the LLE programme",
                                phone="01603 307788", email="simon.morley@norfolk.example", order=0)
    RoundContact.objects.create(round=round, name="Chris Snudden", phone="01603 303322", order=1)


# --- the visitor ---------------------------------------------------------------------


def test_it_shows_a_visitor_the_open_round_its_closing_date_and_one_call_to_action(client):
    ApplicationRoundFactory(name="Norfolk round, spring 2027",
                            closes_at=timezone.make_aware(timezone.datetime(2099, 1, 2, 17, 0)))
    main = _main(_html(client.get("/")))
    assert "Applications are open: Norfolk round, spring 2027" in main
    assert "Closes on Friday 2 January 2099 at 17:00" in main
    assert main.count('class="btn') == 1
    assert ">Create an account to apply</a>" in main


def test_it_shows_the_next_round_when_none_is_open(client):
    ApplicationRoundFactory(closed=True, name="Last year's round")
    ApplicationRoundFactory(name="Autumn 2099 round", opens_at=timezone.now() + timedelta(days=30),
                            closes_at=timezone.now() + timedelta(days=60))
    main = _main(_html(client.get("/")))
    assert "Next round: Autumn 2099 round" in main and "Last year" not in main
    assert "Opens on" in main
    assert ">Find out how to apply</a>" in main


def test_it_lists_the_round_contacts_on_the_programme_page_and_in_the_footer(client):
    _contacts(ApplicationRoundFactory())
    html = _html(client.get(reverse("applications:programme")))
    assert "Questions about this round" in _main(html)
    for text in ("Simon Morley</strong>, LA contact for the LLE programme", 'href="tel:01603307788"',
                 "mailto:simon.morley@norfolk.example", "Chris Snudden"):
        assert text in _main(html), text
    for page in ("/", reverse("applications:programme"), reverse("register")):
        footer = _footer(_html(client.get(page)))
        assert "Simon Morley, LA contact for the LLE programme" in footer and "01603 303322" in footer
        assert "Contact your local authority's LLE lead adviser" not in footer


def test_it_keeps_the_general_line_in_the_footer_when_no_round_has_contacts(client):
    ApplicationRoundFactory()
    assert "Contact your local authority's LLE lead adviser" in _footer(_html(client.get("/")))


def test_it_does_not_tell_the_adviser_to_contact_the_lead_adviser(client):
    # The adviser is the lead adviser the general footer line points to; other staff keep it.
    from lle_portal.tests.factories import AdviserFactory, GovernorFactory

    client.force_login(AdviserFactory())
    assert "Contact your local authority's LLE lead adviser" not in _footer(_html(client.get("/programme/staff/")))
    client.force_login(GovernorFactory())
    assert "Contact your local authority's LLE lead adviser" in _footer(_html(client.get("/accounts/password/change/")))


def test_it_says_open_once_on_a_round_card(client):
    ApplicationRoundFactory(name="Norfolk round")
    main = _main(_html(client.get(reverse("applications:programme"))))
    card = main.split("round-card", 1)[1].split("</article>", 1)[0]
    assert len(re.findall(r"\bOpen\b", card)) == 1


def test_it_answers_favicon_ico(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response.url.endswith(".svg")


# --- the headteacher -------------------------------------------------------------------


def test_it_finds_schools_for_the_finder_without_a_page_reload(client):
    la = ApplicationRoundFactory().local_authorities.get()
    avenue = SchoolFactory(urn=121234, name="Avenue Junior School", local_authority=la)
    SchoolFactory(urn=121235, name="Avenue Infant School", local_authority=la)
    html = _html(client.get(reverse("school_search"), {"q": "avenue junior", "for": "register"}))
    assert "1 school found" in html
    assert f'value="{avenue.pk}"' in html and "The school where you are headteacher" in html
    # A school already chosen stays in the list, chosen, whatever the new search finds.
    html = _html(client.get(reverse("school_search"), {"q": "infant", "chosen": str(avenue.pk)}))
    assert re.search(rf'value="{avenue.pk}"[^>]*checked', html)
    assert "<html" not in html  # a piece of the page, not a page


def test_it_keeps_typed_values_when_find_is_pressed_without_javascript(client):
    SchoolFactory(urn=121234, name="Avenue Junior School")
    html = _html(client.post(reverse("register"), {
        "full_name": "Amira Patel", "email": "amira@avenue.example", "school_query": "121234",
        "password1": "a long and memorable passphrase", "password2": "a long and memorable passphrase",
        "action": "find_school"}))
    assert 'value="Amira Patel"' in html and 'value="amira@avenue.example"' in html
    assert "a long and memorable passphrase" not in html
    assert "the password you typed is not kept" in html
    assert "Avenue Junior School (URN 121234)" in html


@pytest.fixture
def head_with_draft(client, users):
    head = users["headteacher"]
    application = ApplicationFactory(complete=True, applicant=head, school=head.school)
    client.force_login(head)
    return application


def test_it_tells_the_head_the_chair_of_governors_will_be_emailed_a_link(client, head_with_draft):
    url = reverse("applications:section", args=[head_with_draft.pk, "approvals"])
    assert "we email your chair of governors a link" in _main(_html(client.get(url)))


def test_it_keeps_proper_nouns_in_the_change_links(client, head_with_draft):
    html = _html(client.get(reverse("applications:check", args=[head_with_draft.pk])))
    assert "Change<span class=\"visually-hidden\"> date of your school&#x27;s most recent Ofsted inspection" in html
    assert "ofsted" not in html


def test_it_lowers_only_the_first_letter_of_a_label():
    assert lower_first("Date of your school's most recent Ofsted inspection") == (
        "date of your school's most recent Ofsted inspection")
    assert lower_first("Ofsted grade") == "Ofsted grade"
    assert lower_first("URN of the school") == "URN of the school"


def test_it_begins_what_happens_next_with_what_is_still_to_come(client, users):
    application = submitted_application(applicant=users["headteacher"])
    client.force_login(users["headteacher"])
    main = _main(_html(client.get(reverse("applications:submitted", args=[application.pk]))))
    steps = main.split("What happens next", 1)[1]
    assert "Submit your application" not in steps
    assert re.search(r"<li><strong>Verification of Part A\.</strong>", steps)


def test_it_offers_my_application_only_to_a_head_who_has_applied(client, users):
    head = users["headteacher"]
    client.force_login(head)
    nav = _html(client.get("/")).split('aria-label="Main"', 1)[1].split("</nav>", 1)[0]
    # A client head (or any head who has not applied) is offered the programme under its own name.
    assert "My application" not in nav and "Apply to be an LLE" in nav
    ApplicationFactory(applicant=head)
    nav = _html(client.get("/")).split('aria-label="Main"', 1)[1].split("</nav>", 1)[0]
    assert 'href="/programme/my-application/">My application' in nav


# --- the referee -----------------------------------------------------------------------


def test_it_lets_a_referee_save_a_draft_without_sending_it(client, django_capture_on_commit_callbacks,
                                                           norfolk):  # noqa: F811
    cache.clear()
    reference = submit(django_capture_on_commit_callbacks, norfolk)
    url = LINK.search(sent_to(reference.recipient_email)[0].body).group(1)
    assert "Save draft" in _html(client.get(url))
    html = _html(client.post(url, {"action": "draft", "ability": "A calm, exacting leader."}))
    assert "Your draft was saved at" in html and "It has not been sent" in html
    assert "A calm, exacting leader." in html
    assert "There is a problem" not in html  # a draft is not checked
    reference.refresh_from_db()
    assert reference.status == LinkRequest.Status.REQUESTED
    assert reference.draft["ability"] == "A calm, exacting leader."


# --- the assessor ----------------------------------------------------------------------


def test_it_shows_the_assessor_what_each_score_means_for_each_competency(client, users):
    round = ApplicationRoundFactory(rubric_descriptors={"capacity": {"4": "A full day a week, governors agreed."}})
    application = submitted_application(round=round)
    Application.objects.filter(pk=application.pk).update(status=Application.Status.VERIFIED)
    assessment = Assessment.objects.create(application=application, assessor=users["assessor"])
    client.force_login(users["assessor"])
    html = _html(client.get(reverse("applications:staff_assess", args=[assessment.pk])))
    assert "4 – Outstanding evidence: A full day a week, governors agreed." in html
    assert DEFAULT_DESCRIPTORS["impact_on_outcomes"][1] in html
    assert DEFAULT_DESCRIPTORS["supporting_others"][3] in html
    assert "Little evidence</td>" not in html  # no generic 1-4 table any more
