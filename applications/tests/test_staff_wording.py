"""Staff pages speak to staff: the eligibility reasons, written to the
applicant ("You have been a headteacher…"), are read by the adviser and the
panel about the applicant ("The applicant has been…")."""

import ast
import re
from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse

from applications import eligibility
from applications.eligibility import CRITERIA, for_staff
from applications.tests.states import submitted_application
from lle_portal.tests.factories import InspectionFactory

SECOND_PERSON = re.compile(r"\b(you|your|yours|yourself)\b", re.IGNORECASE)


def _texts_of(module) -> list[str]:
    """Every string literal of a module, f-strings' fixed parts included."""
    tree = ast.parse(Path(module.__file__).read_text())
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def test_every_reason_the_criteria_give_reads_about_the_applicant_for_staff():
    said_to_applicant = [t for t in _texts_of(eligibility) if SECOND_PERSON.search(t)]
    assert any("You have been a headteacher" in t for t in said_to_applicant)  # the test reads the right texts
    for text in said_to_applicant:
        if any(text == applicant for applicant, _ in eligibility.STAFF_WORDING):
            continue
        assert not SECOND_PERSON.search(for_staff(text)), text
    for title in CRITERIA.values():
        assert not SECOND_PERSON.search(for_staff(title)), title


def test_the_staff_wording_keeps_the_sentence_whole():
    assert for_staff("You have been a headteacher for 2 years; the programme asks for at least 3 years. "
                     "You can still apply as working towards eligibility.") == (
        "The applicant has been a headteacher for 2 years; the programme asks for at least 3 years. "
        "They can still apply as working towards eligibility.")
    assert for_staff(CRITERIA["senior_team"]).endswith("lead the school in the head's absence")


@pytest.mark.django_db
def test_the_verify_page_speaks_to_the_adviser_about_the_applicant(client, users):
    application = submitted_application(declared_leadership=1)
    InspectionFactory(school=application.school, inspection_date=date(2019, 3, 12), leadership_and_management=2)
    client.force_login(users["adviser"])

    page = client.get(reverse("applications:staff_verify", args=[application.pk])).content.decode()

    assert "The applicant has been a headteacher for" in page
    assert "in the head&#x27;s absence" in page or "in the head's absence" in page
    assert "the applicant said leadership and management was outstanding" in page
    main = page.split('id="main-content"', 1)[1]
    for words in ("You have been", "in your absence", "You said", "Your answer", "your school"):
        assert words not in main, words


@pytest.mark.django_db
def test_the_applicant_is_still_spoken_to_on_their_own_pages(client):
    application = submitted_application()
    client.force_login(application.applicant)
    page = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert "The applicant has" not in page
