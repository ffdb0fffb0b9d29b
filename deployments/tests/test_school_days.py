"""Brokerage on school days (lle_portal/school_calendar.py): a record of visit
falls within its deployment and on a school day of the client school's LA,
or gives a reason and is flagged for quality assurance; a proposal's default
dates are the next term's first day and a school day a year on; the contract
lists the terms the deployment spans."""

from __future__ import annotations

import re
import subprocess
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from deployments import reports, services
from deployments.models import Deployment, VisitRecord, duration_problem
from deployments.services import DeploymentError, NonSchoolDayError
from lle_portal.models import AuditEvent, SchoolTerm
from lle_portal.school_calendar import calendar_for, fill_in_england_pattern, is_school_day
from lle_portal.tests.factories import HeadteacherFactory

from .factories import DeploymentFactory, LLEProfileFactory, SupportNeedFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 5)  # a Saturday in the autumn term of 2026/27
FRIDAY = date(2026, 12, 4)
SATURDAY = TODAY
HALF_TERM = date(2026, 10, 28)
SUMMER_HOLIDAY = date(2026, 8, 12)


@pytest.fixture
def deployment() -> Deployment:
    return DeploymentFactory.create(active=True, start_date=date(2026, 7, 1), end_date=date(2027, 6, 30))


def record(deployment, *, by=None, visit_date=FRIDAY, **fields) -> VisitRecord:
    data = {"days": Decimal("1.0"), "activities": ["coaching"], "summary": "Coached the head.",
            "progress": "Plan drafted.", "next_steps": "Learning walk.", **fields}
    return services.visit_record(deployment=deployment, by=by or deployment.lle.user, visit_date=visit_date,
                                 today=TODAY, **data)


# --------------------------------------------------------------------------
# Records of visit
# --------------------------------------------------------------------------


def test_a_visit_on_a_school_day_needs_no_reason_and_is_not_flagged(deployment):
    visit = record(deployment)
    assert visit.qa_flagged_at is None and visit.non_school_day_reason == ""


@pytest.mark.parametrize(("day", "because"), [
    (SATURDAY, "it is a Saturday"),
    (HALF_TERM, "it is in the October half-term"),
    (SUMMER_HOLIDAY, "it is in the school holidays"),
    (date(2026, 8, 31), "it is a bank holiday (Summer bank holiday)"),
])
def test_a_visit_on_a_day_the_school_is_closed_is_refused_without_a_reason(deployment, day, because):
    with pytest.raises(NonSchoolDayError, match=re.escape(because)) as refused:
        record(deployment, visit_date=day)
    assert refused.value.field == "non_school_day_reason"
    assert "say why" in str(refused.value)
    with pytest.raises(NonSchoolDayError):
        record(deployment, visit_date=day, non_school_day_reason="   ")
    assert not deployment.visits.exists()


def test_a_visit_on_a_day_the_school_is_closed_with_a_reason_is_flagged_for_the_adviser(deployment):
    visit = record(deployment, visit_date=HALF_TERM,
                   non_school_day_reason="Governors' strategy day the school asked for in the half-term.")
    visit.refresh_from_db()
    assert visit.non_school_day_reason == "Governors' strategy day the school asked for in the half-term."
    assert visit.qa_flagged_at is not None and visit.qa_flagged_by is None
    assert "in the October half-term" in visit.qa_note and "Governors' strategy day" in visit.qa_note
    assert visit in VisitRecord.objects.flagged_for_qa()
    event = AuditEvent.objects.get(verb="visit.qa_flagged", object_id=str(visit.pk))
    assert event.actor is None and event.actor_label == "portal"


def test_a_reason_given_for_a_school_day_is_not_kept(deployment):
    visit = record(deployment, non_school_day_reason="Just in case.")
    assert visit.non_school_day_reason == "" and visit.qa_flagged_at is None


def test_the_client_schools_own_la_dates_decide(deployment):
    """The LA's own October half-term is a week earlier: the usual one is a school day there."""
    calendar, _ = fill_in_england_pattern(deployment.client_school.local_authority, 2027)
    SchoolTerm.objects.filter(calendar=calendar, term="autumn").update(
        half_term_starts_on=date(2026, 10, 19), half_term_ends_on=date(2026, 10, 23))
    assert record(deployment, visit_date=HALF_TERM).qa_flagged_at is None
    with pytest.raises(NonSchoolDayError, match="October half-term"):
        record(deployment, visit_date=date(2026, 10, 21))


def test_a_visit_outside_the_deployment_is_refused_even_with_a_reason():
    deployment = DeploymentFactory(active=True, start_date=date(2026, 11, 2), end_date=date(2027, 7, 22))
    for day in (date(2026, 10, 30), date(2026, 10, 19)):
        with pytest.raises(DeploymentError, match="within the deployment"):
            record(deployment, visit_date=day, non_school_day_reason="Before it started.")
    assert not deployment.visits.exists()


def test_the_lle_of_another_deployment_cannot_record_a_visit_even_on_a_school_day(deployment):
    other = DeploymentFactory(active=True, start_date=date(2026, 7, 1), end_date=date(2027, 6, 30))
    for person in (other.lle.user, deployment.client_head, HeadteacherFactory()):
        with pytest.raises(DeploymentError, match="Only the LLE or a colleague"):
            record(deployment, by=person, visit_date=SATURDAY, non_school_day_reason="A reason.")
    assert not deployment.visits.exists()


def _queried(deployment, **fields) -> VisitRecord:
    visit = record(deployment, **fields)
    return services.visit_query(visit=visit, by=deployment.client_head, reason="Was it a full day?")


def _amend(visit, **fields):
    data = {"days": Decimal("0.5"), "activities": ["coaching"], "summary": "Half a day.", "progress": "p",
            "next_steps": "n", **fields}
    return services.visit_amend(visit=visit, by=visit.deployment.lle.user, today=TODAY, **data)


def test_an_amendment_keeps_the_reason_given_or_is_refused_without_one(deployment):
    visit = _queried(deployment, visit_date=SATURDAY, non_school_day_reason="Saturday conference the head chose.")
    with pytest.raises(NonSchoolDayError, match="it is a Saturday"):
        _amend(visit, non_school_day_reason="")
    visit.refresh_from_db()
    assert visit.status == VisitRecord.Status.QUERIED and visit.days == Decimal("1.0")
    _amend(visit)  # the reason given before stands
    visit.refresh_from_db()
    assert visit.status == VisitRecord.Status.SUBMITTED
    assert visit.non_school_day_reason == "Saturday conference the head chose." and visit.qa_flagged_at


def test_an_amendment_of_a_visit_on_a_day_that_became_a_holiday_needs_a_reason_and_is_flagged(deployment):
    visit = _queried(deployment, visit_date=date(2026, 12, 3))
    calendar, _ = fill_in_england_pattern(deployment.client_school.local_authority, 2027)
    SchoolTerm.objects.filter(calendar=calendar, term="autumn").update(ends_on=date(2026, 12, 2))
    with pytest.raises(NonSchoolDayError, match="school holidays"):
        _amend(visit)
    _amend(visit, non_school_day_reason="The school closed early for a boiler repair; we met at the LLE's school.")
    visit.refresh_from_db()
    assert visit.qa_flagged_at and "boiler repair" in visit.qa_note


# --- the pages -----------------------------------------------------------------------


def _visit_post(**fields) -> dict:
    return {"visit_date": SATURDAY.isoformat(), "days": "1.0", "activities": ["coaching"],
            "summary": "Typed with care: the whole morning with the head.", "progress": "Plan drafted.",
            "next_steps": "Learning walk.", **fields}


def test_the_form_refuses_a_weekend_visit_without_a_reason_and_keeps_what_was_typed(client, deployment, settings):
    client.force_login(deployment.lle.user)
    url = reverse("deployments:visit_new", args=[deployment.pk])
    response = client.post(url, _visit_post())
    assert response.status_code == 200
    form = response.context["form"]
    assert "it is a Saturday" in " ".join(form.errors["non_school_day_reason"])
    html = response.content.decode()
    assert "Typed with care: the whole morning with the head." in html
    assert not deployment.visits.exists()

    response = client.post(url, _visit_post(non_school_day_reason="A Saturday training day the school runs."))
    assert response.status_code == 302
    visit = deployment.visits.get()
    assert visit.qa_flagged_at and visit.non_school_day_reason == "A Saturday training day the school runs."


def test_the_adviser_and_the_client_head_see_the_reason(client, deployment, users):
    visit = record(deployment, visit_date=HALF_TERM, non_school_day_reason="Half-term governors' day.")
    from lle_portal.tests.factories import AdviserFactory

    adviser = AdviserFactory(local_authorities=[deployment.client_school.local_authority])
    client.force_login(adviser)
    page = client.get(reverse("deployments:detail", args=[deployment.pk])).content.decode()
    assert "Why on a day the school was closed" in page and "Half-term governors&#x27; day." in page
    assert "Flagged for quality assurance" in page
    overview = client.get(reverse("deployments:overview")).content.decode()
    assert f"#visit-{visit.pk}" in overview and "Not a school day" in overview
    client.force_login(deployment.client_head)
    page = client.get(reverse("deployments:detail", args=[deployment.pk])).content.decode()
    assert "Half-term governors&#x27; day." in page
    assert "Flagged for quality assurance" not in page


def test_the_visit_form_suggests_the_last_school_day(client, deployment):
    client.force_login(deployment.lle.user)
    response = client.get(reverse("deployments:visit_new", args=[deployment.pk]))
    suggested = response.context["form"].initial["visit_date"]
    assert is_school_day(deployment.client_school.local_authority, suggested)


# --------------------------------------------------------------------------
# A proposal's default dates
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("today", "start", "end"), [
    (date(2026, 8, 1), date(2026, 9, 1), date(2027, 7, 22)),     # the summer holiday
    (date(2026, 12, 5), date(2027, 1, 4), date(2027, 12, 17)),   # December, before Christmas
    (date(2026, 10, 14), date(2027, 1, 4), date(2027, 12, 17)),  # mid-term
    (date(2027, 2, 17), date(2027, 4, 5), date(2028, 4, 4)),     # a half-term
])
def test_a_proposals_default_dates_are_school_days_a_year_apart(today, start, end):
    need = SupportNeedFactory()
    defaults = services.proposal_defaults(need, today=today)
    assert (defaults["start_date"], defaults["end_date"]) == (start, end)
    calendar = calendar_for(need.client_school.local_authority)
    assert calendar.is_school_day(defaults["start_date"]) and calendar.is_school_day(defaults["end_date"])
    assert duration_problem(defaults["start_date"], defaults["end_date"]) == ""


def test_a_proposal_starts_on_the_client_schools_own_first_day_of_term():
    need = SupportNeedFactory()
    calendar, _ = fill_in_england_pattern(need.client_school.local_authority, 2027)
    SchoolTerm.objects.filter(calendar=calendar, term="spring").update(starts_on=date(2027, 1, 6))
    assert services.proposal_defaults(need, today=TODAY)["start_date"] == date(2027, 1, 6)


def test_the_proposal_page_offers_the_next_terms_first_day(client, users):
    client.force_login(users["adviser"])
    need = SupportNeedFactory()
    LLEProfileFactory()
    response = client.get(reverse("deployments:matches", args=[need.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    start = services.proposal_defaults(need)["start_date"]
    assert start.isoformat() in html or f"{start:%d/%m/%Y}" in html
    assert is_school_day(need.client_school.local_authority, start)


# --------------------------------------------------------------------------
# The contract
# --------------------------------------------------------------------------


def test_the_contract_lists_the_terms_the_deployment_spans(tmp_path):
    deployment = DeploymentFactory(agreed=True, start_date=date(2027, 1, 4), end_date=date(2027, 12, 17))
    context = reports.contract_context(deployment)
    assert [t.label for t in context["terms"]] == [
        "Spring term 2026/27", "Summer term 2026/27", "Autumn term 2027/28",
    ]
    assert context["school_days"] > 150
    reports.deployment_generate_contract(deployment_id=deployment.pk)
    (tmp_path / "contract.pdf").write_bytes(Deployment.objects.get(pk=deployment.pk).contract_pdf.read())
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "contract.pdf"), "-"], capture_output=True,
                          text=True).stdout
    # Drawn as PNGs to look at (/tmp/lle-screens/contract-terms-*.png).
    screens = Path(tempfile.gettempdir()) / "lle-screens"
    screens.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(tmp_path / "contract.pdf"), str(screens / "contract-terms")],
                   check=True)
    assert "School terms" in text
    for label in ("Spring term 2026/27", "Summer term 2026/27", "Autumn term 2027/28"):
        assert label in text
    assert "15 February to 19 February 2027" in text  # the spring half-term
    assert "England's usual pattern" in text or "England’s usual pattern" in text
