"""Who may open each page of brokerage and deployment, for every role.

The LLE sees their own deployments, the client head their school's, the
adviser those of their LAs (another LA's: 404), governors read-only for their
school; assessors have no business here (403); anonymous visitors sign in.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from deployments import reimbursement
from deployments.models import Deployment, ReimbursementStatement, VisitRecord
from lle_portal.tests.factories import GovernorFactory

from .factories import DeploymentFactory, LLEProfileFactory, ObjectiveFactory, SupportNeedFactory, VisitRecordFactory

ROLES = ["anonymous", "lle", "client_head", "other_head", "adviser", "other_adviser", "assessor", "governor",
         "other_governor"]
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture
def world(users):
    lle = LLEProfileFactory()
    need = SupportNeedFactory()
    school, head = need.client_school, need.client_head
    on = {"lle": lle, "need": need}
    proposed = DeploymentFactory(**on)
    agreed = DeploymentFactory(agreed=True, **on)
    agreed.contract_pdf.save("contract.pdf", ContentFile(b"%PDF-1.7 test"))
    active = DeploymentFactory(active=True, **on)
    objective = ObjectiveFactory(deployment=active)
    submitted = VisitRecordFactory(deployment=active, visit_date=timezone.localdate() - timedelta(days=2))
    queried = VisitRecordFactory(deployment=active, visit_date=timezone.localdate() - timedelta(days=9),
                                 status=VisitRecord.Status.QUERIED, query_reason="Which day?")
    statement = reimbursement.statement_prepare(local_authority=school.local_authority, academic_year=2026,
                                                term="autumn", by=users["adviser"])
    statement.pdf.save("statement.pdf", ContentFile(b"%PDF-1.7 test"), save=False)
    statement.pdf_version = statement.version  # the PDF of this version
    statement.save(update_fields=["pdf", "pdf_version"])
    people = {
        "lle": lle.user, "client_head": head, "other_head": users["headteacher"], "adviser": users["adviser"],
        "other_adviser": users["other_adviser"], "assessor": users["assessor"],
        "governor": GovernorFactory(school=school), "other_governor": users["governor"],
    }
    return {
        "people": people, "need": need, "proposed": proposed, "agreed": agreed, "active": active,
        "objective": objective, "submitted": submitted, "queried": queried, "statement": statement,
    }


def everyone(status, **overrides):
    return {role: overrides.get(role, status) for role in ROLES}


def staff_only(adviser, other_adviser):
    return everyone(403, anonymous=(302, LOGIN), adviser=adviser, other_adviser=other_adviser)


PARTIES = {"lle": 200, "client_head": 200, "adviser": 200, "governor": 200}
# (method, url, expected status per role). 302s name where they go.
PAGES = {
    "list": ("get", lambda w: "/deployments/", everyone(200, anonymous=(302, LOGIN), assessor=403)),
    "detail": ("get", lambda w: f"/deployments/{w['active'].pk}/",
               everyone(404, anonymous=(302, LOGIN), assessor=403, **PARTIES)),
    "accept": ("post", lambda w: f"/deployments/{w['proposed'].pk}/accept/",
               everyone(403, anonymous=(302, LOGIN), lle=302, client_head=302, other_head=404)),
    "decline": ("get", lambda w: f"/deployments/{w['proposed'].pk}/decline/",
                everyone(403, anonymous=(302, LOGIN), lle=200, client_head=200, other_head=404, adviser=200,
                         other_adviser=404)),
    "start": ("post", lambda w: f"/deployments/{w['agreed'].pk}/start/",
              staff_only(adviser=302, other_adviser=404)),
    "complete": ("post", lambda w: f"/deployments/{w['active'].pk}/complete/",
                 staff_only(adviser=302, other_adviser=404)),
    "end_early": ("get", lambda w: f"/deployments/{w['active'].pk}/end-early/",
                  staff_only(adviser=200, other_adviser=404)),
    "contract": ("get", lambda w: f"/deployments/{w['agreed'].pk}/contract.pdf",
                 everyone(404, anonymous=(302, LOGIN), assessor=403, **PARTIES)),
    "objective_add": ("post", lambda w: f"/deployments/{w['active'].pk}/objectives/",
                      everyone(403, anonymous=(302, LOGIN), lle=302, client_head=302, other_head=404, adviser=302,
                               other_adviser=404)),
    "objective_rate": ("post", lambda w: f"/deployments/{w['active'].pk}/objectives/{w['objective'].pk}/progress/",
                       everyone(403, anonymous=(302, LOGIN), lle=302, client_head=302, other_head=404, adviser=302,
                                other_adviser=404)),
    "visit_new": ("get", lambda w: f"/deployments/{w['active'].pk}/visits/new/",
                  everyone(403, anonymous=(302, LOGIN), lle=200, client_head=404, other_head=404)),
    "visit_amend": ("get", lambda w: f"/deployments/visits/{w['queried'].pk}/change/",
                    everyone(403, anonymous=(302, LOGIN), lle=200, client_head=404, other_head=404)),
    "visit_confirm": ("post", lambda w: f"/deployments/visits/{w['submitted'].pk}/confirm/",
                      everyone(403, anonymous=(302, LOGIN), lle=404, client_head=302, other_head=404)),
    "visit_query": ("get", lambda w: f"/deployments/visits/{w['submitted'].pk}/query/",
                    everyone(403, anonymous=(302, LOGIN), lle=404, client_head=200, other_head=404)),
    "visit_flag": ("post", lambda w: f"/deployments/visits/{w['submitted'].pk}/quality-assurance/",
                   staff_only(adviser=302, other_adviser=404)),
    "overview": ("get", lambda w: "/deployments/staff/", staff_only(adviser=200, other_adviser=200)),
    "flagged_schools": ("get", lambda w: "/deployments/staff/schools-flagged/",
                        staff_only(adviser=200, other_adviser=200)),
    "matches": ("get", lambda w: f"/deployments/staff/needs/{w['need'].pk}/matches/",
                staff_only(adviser=200, other_adviser=404)),
    "match_all": ("get", lambda w: "/deployments/staff/match-all/", staff_only(adviser=200, other_adviser=200)),
    "statements": ("get", lambda w: "/deployments/staff/statements/", staff_only(adviser=200, other_adviser=200)),
    "statement": ("get", lambda w: f"/deployments/staff/statements/{w['statement'].pk}/",
                  staff_only(adviser=200, other_adviser=404)),
    "statement_finalise": ("post", lambda w: f"/deployments/staff/statements/{w['statement'].pk}/finalise/",
                           staff_only(adviser=302, other_adviser=404)),
    "statement_csv": ("get", lambda w: f"/deployments/staff/statements/{w['statement'].pk}/statement.csv",
                      staff_only(adviser=200, other_adviser=404)),
    "statement_pdf": ("get", lambda w: f"/deployments/staff/statements/{w['statement'].pk}/statement.pdf",
                      staff_only(adviser=200, other_adviser=404)),
}
ADMIN = {**everyone((302, ADMIN_LOGIN)), "adviser": 200, "other_adviser": 200, "assessor": 403}
for model in ("supportneed", "deployment", "visitrecord", "reimbursementstatement", "networkmeeting"):
    PAGES[f"admin_{model}"] = ("get", lambda w, m=model: f"/admin/deployments/{m}/", ADMIN)  # type: ignore[misc]
# What the reminder jobs sent: an internal table, for superusers only.
PAGES["admin_reminderlog"] = ("get", lambda w: "/admin/deployments/reminderlog/",
                              {**ADMIN, "adviser": 403, "other_adviser": 403})
PAGES["admin_supportneed_add"] = ("get", lambda w: "/admin/deployments/supportneed/add/", ADMIN)
# Another LA's need in the admin: Django's "does not exist" redirect to the admin index.
PAGES["admin_supportneed_change"] = ("get", lambda w: f"/admin/deployments/supportneed/{w['need'].pk}/change/",
                                     {**ADMIN, "other_adviser": 404})


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", list(PAGES))
def test_each_page_answers_each_role_as_it_should(client, world, page, role):
    method, url, expected = PAGES[page]
    if role != "anonymous":
        client.force_login(world["people"][role])
    data = {"reason": "Because.", "title": "Reading", "measure_of_success": "70%", "progress": "good"}
    response = getattr(client, method)(url(world), data if method == "post" else None)
    status, target = expected[role] if isinstance(expected[role], tuple) else (expected[role], None)
    assert response.status_code == status, f"{page} as {role}: {response.status_code}"
    if target:
        assert response["Location"].startswith(target), response["Location"]


@pytest.mark.django_db
def test_lists_show_each_person_only_their_deployments(client, world, users):
    other = DeploymentFactory(active=True)  # another LLE, another client school
    for role, sees_other in [("lle", False), ("client_head", False), ("adviser", True), ("governor", False),
                             ("other_head", False), ("other_adviser", False)]:
        client.force_login(world["people"][role])
        html = client.get("/deployments/").content.decode()
        assert (other.client_school.name in html) is sees_other, role
        assert (world["active"].client_school.name in html) is (role in ("lle", "client_head", "adviser", "governor"))


@pytest.mark.django_db
def test_a_governor_reads_but_cannot_act(client, world):
    client.force_login(world["people"]["governor"])
    html = client.get(f"/deployments/{world['active'].pk}/").content.decode()
    assert "You can read this deployment" in html
    assert "Record a visit" not in html and ">Confirm<" not in html and "Add an objective" not in html


@pytest.mark.django_db
def test_the_lle_of_a_deployment_cannot_confirm_their_own_visit(client, world):
    client.force_login(world["people"]["lle"])
    client.post(f"/deployments/visits/{world['submitted'].pk}/confirm/")
    assert VisitRecord.objects.get(pk=world["submitted"].pk).status == VisitRecord.Status.SUBMITTED


@pytest.mark.django_db
def test_an_lle_can_see_a_deployment_where_they_are_a_colleague(client, world):
    colleague_user = world["people"]["other_head"]
    world["active"].colleagues.create(name=colleague_user.full_name, job_title="Deputy", user=colleague_user)
    client.force_login(colleague_user)
    assert client.get(f"/deployments/{world['active'].pk}/").status_code == 200
    assert client.get(f"/deployments/{world['active'].pk}/visits/new/").status_code == 200


@pytest.mark.django_db
def test_the_nav_shows_my_deployments_to_those_taking_part(client, world, users):
    for role, label in [("lle", "My deployments"), ("client_head", "My deployments"), ("governor", "My deployments"),
                        ("adviser", "Deployments")]:
        client.force_login(world["people"][role])
        assert f">{label}</a>" in client.get("/").content.decode(), role
    client.force_login(users["headteacher"])
    assert "My deployments" not in client.get("/").content.decode()


@pytest.mark.django_db
def test_the_adviser_proposes_from_the_ranked_list(client, world, users):
    client.force_login(users["adviser"])
    need = SupportNeedFactory()
    lle = LLEProfileFactory(days_per_week=Decimal("0.5"))
    page = client.get(f"/deployments/staff/needs/{need.pk}/matches/").content.decode()
    assert lle.user.full_name in page and "Same phase (primary)" in page
    start = timezone.localdate()
    response = client.post(f"/deployments/staff/needs/{need.pk}/matches/", {
        "lle": lle.pk, "start_date": start.isoformat(), "end_date": start.replace(year=start.year + 1).isoformat(),
        "days_per_week": "0.5", "rate_per_day": "325.00", "kind": "lle_support",
    })
    deployment = Deployment.objects.get(need=need)
    assert response["Location"] == f"/deployments/{deployment.pk}/"
    assert (deployment.lle, deployment.rate_per_day) == (lle, Decimal("325.00"))


@pytest.mark.django_db
def test_the_ranked_list_refuses_terms_outside_the_rules(client, world, users):
    client.force_login(users["adviser"])
    need = SupportNeedFactory()
    lle = LLEProfileFactory()
    start = timezone.localdate()
    response = client.post(f"/deployments/staff/needs/{need.pk}/matches/", {
        "lle": lle.pk, "start_date": start.isoformat(), "end_date": (start + timedelta(days=60)).isoformat(),
        "days_per_week": "0.5", "rate_per_day": "325.00", "kind": "lle_support",
    })
    assert response.status_code == 200
    assert "at least 6 months" in response.content.decode()
    assert not Deployment.objects.filter(need=need).exists()


@pytest.mark.django_db
def test_the_statement_csv_is_a_download(client, world, users):
    client.force_login(users["adviser"])
    statement = ReimbursementStatement.objects.get()
    response = client.get(f"/deployments/staff/statements/{statement.pk}/statement.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
