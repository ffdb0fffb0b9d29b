"""Part A pre-filled from the official data (issue 12): the head confirms or
corrects what Ofsted's and the DfE's files say; a correction is flagged."""

import re
from datetime import date

import pytest
from django.urls import reverse

from applications.eligibility import TO_VERIFY, eligibility_for
from applications.sections import COMPLETED, SECTIONS_BY_KEY, section_status
from applications.tests.factories import ApplicationFactory
from applications.tests.states import submitted_application
from lle_portal.tests.factories import InspectionFactory, SchoolResultFactory

pytestmark = pytest.mark.django_db

WORDING = "This is what Ofsted’s data says — correct it if it is wrong."


@pytest.fixture
def head(client, users):
    client.force_login(users["headteacher"])
    return client


def _page(client, application) -> str:
    response = client.get(reverse("applications:section", args=[application.pk, "performance"]))
    assert response.status_code == 200
    return response.content.decode()


def _checked(html: str, name: str) -> list[str]:
    return [m.group(1) for m in re.finditer(rf'<input[^>]*name="{name}"[^>]*value="(\w+)"[^>]*checked', html)]


def _report_card(school, leadership=3):
    return InspectionFactory(
        school=school, inspection_date=date(2026, 1, 20), overall_effectiveness=None, leadership_and_management=None,
        framework="report_card", inspection_type="report_card", safeguarding="met",
        evaluation_areas={"inclusion": 2, "leadership_and_governance": leadership},
    )


def test_it_prefills_the_inspection_a_head_has_not_answered_from_the_data(head, users):
    application = ApplicationFactory(applicant=users["headteacher"])
    InspectionFactory(school=application.school, inspection_date=date(2019, 3, 12), overall_effectiveness=3,
                      leadership_and_management=2)
    html = _page(head, application)
    assert 'value="12/03/2019"' in html
    assert _checked(html, "declared_leadership") == ["2"]
    assert _checked(html, "declared_overall_effectiveness") == ["3"]
    assert WORDING in html


def test_it_prefills_whether_results_were_high_or_improving_with_the_figures(head, users):
    application = ApplicationFactory(applicant=users["headteacher"])
    for year, value in ((2023, 55), (2024, 58), (2025, 63)):
        SchoolResultFactory(school=application.school, year=year, value=value)
    html = _page(head, application)
    assert _checked(html, "declared_results_good") == ["yes"]
    assert "2023 55%, 2024 58%, 2025 63%" in html


def test_it_never_overwrites_an_answer_the_head_gave(head, users):
    application = ApplicationFactory(applicant=users["headteacher"], declared_leadership=1,
                                     declared_inspection_date=date(2018, 5, 1), declared_results_good=False)
    InspectionFactory(school=application.school, inspection_date=date(2019, 3, 12), leadership_and_management=2)
    for year, value in ((2023, 55), (2024, 58), (2025, 63)):
        SchoolResultFactory(school=application.school, year=year, value=value)
    html = _page(head, application)
    assert 'value="01/05/2018"' in html and 'value="12/03/2019"' not in html
    assert _checked(html, "declared_leadership") == ["1"]
    assert _checked(html, "declared_results_good") == ["no"]


def test_it_offers_a_report_card_school_the_report_card_scale(head, users):
    application = ApplicationFactory(applicant=users["headteacher"])
    _report_card(application.school)
    html = _page(head, application)
    assert "Leadership and governance at that report card" in html
    assert _checked(html, "declared_report_card_leadership") == ["3"]
    assert 'name="declared_leadership"' not in html  # no 1-4 grade forced on a report card
    response = head.post(reverse("applications:section", args=[application.pk, "performance"]), {
        "declared_inspection_date": "20/01/2026", "declared_report_card_leadership": "2",
        "declared_above_floor": "unsure", "performance_summary": "Rising results.", "action": "continue",
    })
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.declared_report_card_leadership == 2
    assert section_status(application, SECTIONS_BY_KEY["performance"]) == COMPLETED


def test_it_flags_a_corrected_report_card_grade_on_the_verify_page(client, users):
    application = submitted_application(declared_leadership=None, declared_report_card_leadership=2,
                                        declared_inspection_date=date(2026, 1, 20))
    _report_card(application.school, leadership=3)
    criterion = eligibility_for(application)["inspection"]
    assert criterion.disagreement and criterion.status == TO_VERIFY
    client.force_login(users["adviser"])
    page = client.get(reverse("applications:staff_verify", args=[application.pk])).content.decode()
    assert "Leadership and governance strong standard" in page  # the head's answer
    assert "leadership and governance expected standard" in page  # the official record
    assert "Answer disagrees with official data" in page


def test_it_flags_results_the_head_calls_good_when_the_data_says_falling(users):
    application = ApplicationFactory(applicant=users["headteacher"], declared_results_good=True)
    for year, value in ((2023, 40), (2024, 38), (2025, 35)):
        SchoolResultFactory(school=application.school, year=year, value=value)
    from lle_portal.models import AreaResult
    AreaResult.objects.create(area_code=AreaResult.ENGLAND, key_stage="KS2", measure="PTRWM_EXP", year=2025,
                              value=61)
    criterion = eligibility_for(application)["performance"]
    assert criterion.disagreement and criterion.status == TO_VERIFY
    assert "disagrees with the official data" in criterion.reason
