"""Who may open each staff page and each recruitment admin page, for every role.

An adviser sees only their own LAs' rounds and applications (another LA's is
a 404); an assessor only the applications assigned to them (another
assessor's is a 404); heads and governors never see staff pages.
"""

import pytest
from django.urls import reverse

from applications import services
from applications.models import Application
from applications.tests.factories import ApplicationRoundFactory
from applications.tests.states import submitted_application, verify
from lle_portal.tests.factories import AssessorFactory

ROLES = ["anonymous", "headteacher", "governor", "assessor", "adviser", "other_adviser"]
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture
def world(users):
    """A Norfolk round with an application assigned to users["assessor"], and
    an assignment of another assessor."""
    round = ApplicationRoundFactory()
    application = verify(submitted_application(round), users["adviser"])
    mine = services.assessment_assign(application=application, assessor=users["assessor"], by=users["adviser"])
    theirs = services.assessment_assign(application=application, assessor=AssessorFactory(), by=users["adviser"])
    return {"round": round.pk, "application": application.pk, "mine": mine.pk, "theirs": theirs.pk}


def adviser_only(ok: int) -> dict:
    return {
        "anonymous": (302, LOGIN), "headteacher": 403, "governor": 403, "assessor": 403,
        "adviser": ok, "other_adviser": 404,
    }


def assessor_only(ok: int) -> dict:
    return {
        "anonymous": (302, LOGIN), "headteacher": 403, "governor": 403, "adviser": 403, "other_adviser": 403,
        "assessor": ok,
    }


def admin_page(*, other_adviser: int = 404, assessor: int = 403) -> dict:
    return {
        "anonymous": (302, ADMIN_LOGIN), "headteacher": (302, ADMIN_LOGIN), "governor": (302, ADMIN_LOGIN),
        "assessor": assessor, "adviser": 200, "other_adviser": other_adviser,
    }


# (method, URL name, kwargs from `world`, expected status per role)
PAGES = {
    "staff_index": ("get", "applications:staff_index", {}, {
        "anonymous": (302, LOGIN), "headteacher": 403, "governor": 403,
        "assessor": (302, "/programme/staff/assessments/"), "adviser": 200, "other_adviser": 200,
    }),
    "staff_verify": ("get", "applications:staff_verify", {"pk": "application"}, adviser_only(200)),
    "staff_la_approve": ("post", "applications:staff_la_approve", {"pk": "application"}, adviser_only(302)),
    "staff_assign": ("get", "applications:staff_assign", {"pk": "application"}, adviser_only(200)),
    # An empty decision form: the adviser gets the panel back with its errors.
    "staff_decide": ("post", "applications:staff_decide", {"pk": "application"}, adviser_only(400)),
    "staff_panel": ("get", "applications:staff_panel", {"pk": "round"}, adviser_only(200)),
    "staff_send_decisions": ("post", "applications:staff_send_decisions", {"pk": "round"}, adviser_only(302)),
    "staff_assessments": ("get", "applications:staff_assessments", {}, assessor_only(200)),
    "staff_assess_mine": ("get", "applications:staff_assess", {"pk": "mine"}, assessor_only(200)),
    "staff_assess_theirs": ("get", "applications:staff_assess", {"pk": "theirs"}, assessor_only(404)),
    "admin_applications": ("get", "admin:applications_application_changelist", {}, admin_page(other_adviser=200)),
    "admin_application": ("get", "admin:applications_application_change", {"object_id": "application"},
                          admin_page()),
    "admin_rounds": ("get", "admin:applications_applicationround_changelist", {}, admin_page(other_adviser=200)),
    "admin_round": ("get", "admin:applications_applicationround_change", {"object_id": "round"}, admin_page()),
    "admin_round_add": ("get", "admin:applications_applicationround_add", {}, admin_page(other_adviser=200)),
    "admin_lle_profiles": ("get", "admin:applications_lleprofile_changelist", {}, admin_page(other_adviser=200)),
    "admin_cohorts": ("get", "admin:applications_trainingcohort_changelist", {}, admin_page(other_adviser=200)),
    "admin_assessments": ("get", "admin:applications_assessment_changelist", {},
                          admin_page(other_adviser=200, assessor=200)),
    "admin_assessment_theirs": ("get", "admin:applications_assessment_change", {"object_id": "theirs"},
                                admin_page(assessor=404)),
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", list(PAGES))
def test_each_staff_and_admin_page_answers_each_role_as_it_should(client, users, world, page, role):
    method, name, kwargs, expected = PAGES[page]
    url = reverse(name, kwargs={key: world[value] for key, value in kwargs.items()})
    if role != "anonymous":
        client.force_login(users[role])

    response = getattr(client, method)(url)

    status, target = expected[role] if isinstance(expected[role], tuple) else (expected[role], None)
    assert response.status_code == status, f"{role} on {url}"
    if target:
        assert response.url.startswith(target)


@pytest.mark.django_db
def test_an_adviser_of_another_la_sees_none_of_this_las_rounds_or_applications(client, users, world):
    application = Application.objects.get(pk=world["application"])
    client.force_login(users["other_adviser"])
    for url in (reverse("applications:staff_index"), reverse("admin:applications_application_changelist"),
                reverse("admin:applications_applicationround_changelist"),
                reverse("admin:applications_assessment_changelist")):
        page = client.get(url).content.decode()
        assert application.reference_number not in page, url
        assert application.round.name not in page, url


@pytest.mark.django_db
def test_an_assessor_sees_only_their_own_assignments_in_the_admin(client, users, world):
    client.force_login(users["assessor"])
    response = client.get(reverse("admin:applications_assessment_changelist"))
    assert response.context["cl"].result_count == 1
    assert reverse("applications:staff_assess", args=[world["mine"]]) in response.content.decode()
