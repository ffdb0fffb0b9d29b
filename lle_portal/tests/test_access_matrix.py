"""The access matrix: every URL of the site, for every kind of person, with
the answer each must get.

The URLs are read from the URL configuration itself (`get_resolver()`), so a
new page cannot be forgotten: a URL name with no entry in `MATRIX` fails
`test_every_url_name_has_an_entry_in_the_matrix`, with a message saying where
to add it. The Django admin is one family: its index and named pages are in
`MATRIX`, and every registered model's changelist, add and change pages are
checked from `ADMIN_MODELS`, which must name every registered model.

Each URL is opened with the kwargs of "own" objects (those of the people of
the matrix: access_matrix_world.py) and, where it takes an object, with those
of another person's object: whoever the role check lets in must get a 404
for that one. State-changing endpoints are also POSTed with an empty body:
enough to see who is let in. Every request runs in a transaction that is
rolled back, so one answer never changes the next.

The answers: 200, 400, 403, 404, 405 (GET on a POST-only action), LOGIN (a
redirect to the sign-in page), ADMIN_LOGIN (to the admin's sign-in page),
ADMIN_INDEX (to the admin's index: for a change page, Django's "perhaps it
was deleted?"), SECOND_FACTOR (to the staff two-factor pages) and 302 (any
other redirect: the action was done, refused with a message, or the page
sends on elsewhere).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from lle_portal.tests.access_matrix_world import ANONYMOUS_ROLES, ROLES, World, build_world

Expect = int | str
LOGIN = "sign-in page"
ADMIN_LOGIN = "admin sign-in page"
ADMIN_INDEX = "redirect to the admin index"
SECOND_FACTOR = "two-factor page"
REFUSED = (403, LOGIN, ADMIN_LOGIN)

HEADS = ("headteacher", "lle", "client_head")
ADVISERS = ("adviser", "other_adviser")
STAFF = (*ADVISERS, "assessor")
SIGNED_IN = tuple(r for r in ROLES if r not in ANONYMOUS_ROLES)
# role_required(HEADTEACHER, GOVERNOR, ADVISER): the deployments' pages.
DEPLOYMENT_ROLES = (*HEADS, "governor", *ADVISERS)
# Who may see the Norfolk deployment (Deployment.objects.visible_to) and its reports.
PARTIES = {"lle": 200, "client_head": 200, "governor": 200, "adviser": 200}


# --------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------


def everyone(answer: Expect, **roles: Expect) -> dict[str, Expect]:
    return {role: roles.get(role, answer) for role in ROLES}


def gate(let_in: tuple[str, ...], answer: Expect = 404, **roles: Expect) -> dict[str, Expect]:
    """A page behind a role check: signed-out visitors are sent to sign in,
    the wrong roles get 403, and those let in `answer` -- 404 unless the
    object is theirs (those named in `roles`)."""
    answers = {}
    for role in ROLES:
        answers[role] = LOGIN if role in ANONYMOUS_ROLES else answer if role in let_in else 403
    answers.update(roles)
    return answers


def heads(answer: Expect = 404, **roles: Expect) -> dict[str, Expect]:
    return gate(HEADS, answer, **roles)


def advisers(answer: Expect = 404, **roles: Expect) -> dict[str, Expect]:
    return gate(ADVISERS, answer, **roles)


def signed_in(answer: Expect = 404, **roles: Expect) -> dict[str, Expect]:
    return gate(SIGNED_IN, answer, **roles)


def admin_staff(answer: Expect, **roles: Expect) -> dict[str, Expect]:
    """An admin page: staff get `answer`; everyone else is sent to the admin's sign-in page."""
    return {**everyone(ADMIN_LOGIN), **dict.fromkeys(STAFF, answer), **roles}


def _get_on_post_only(post: dict[str, Expect]) -> dict[str, Expect]:
    # The role check comes first, then @require_POST.
    return {role: answer if answer in REFUSED else 405 for role, answer in post.items()}


@dataclass(frozen=True)
class Route:
    """How to open one URL name and what each role must get."""

    get: dict[str, Expect]
    post: dict[str, Expect] | None = None
    # The URL kwargs for the matrix's own objects, and for another person's
    # (several, where a URL names two objects that must belong together).
    own: Callable[[World], dict[str, Any]] = field(default=lambda w: {})
    other: Callable[[World], dict[str, Any]] | tuple[Callable[[World], dict[str, Any]], ...] | None = None
    # What another person's object gets, when not the rule's 404 (token pages).
    other_get: dict[str, Expect] | None = None
    other_post: dict[str, Expect] | None = None


def page(get: dict[str, Expect], *, post: dict[str, Expect] | None = None, **kwargs) -> Route:
    return Route(get=get, post=post, **kwargs)


def action(post: dict[str, Expect], **kwargs) -> Route:
    """A POST-only endpoint: GET is refused with 405 to those let in."""
    return Route(get=_get_on_post_only(post), post=post, **kwargs)


def _pk(name: str, side: str = "own"):
    return lambda w: {"pk": getattr(getattr(w, side), name).pk}


def own_and_other(name: str) -> dict[str, Any]:
    return {"own": _pk(name), "other": _pk(name, "other")}


def _reset_link(w: World) -> dict[str, str]:
    user = w.people["headteacher"]
    return {"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)}  # type: ignore[union-attr]


def _view_on_site(w: World) -> dict[str, str]:
    deployment = w.own.deployment
    return {"content_type_id": str(ContentType.objects.get_for_model(deployment).pk), "object_id": str(deployment.pk)}


# Applicant's pages: the head's own draft, another head's in the same round.
APPLICATION = own_and_other("application")
SECTION = {"own": lambda w: {"pk": w.own.application.pk, "key": "school"},
           "other": lambda w: {"pk": w.other.application.pk, "key": "school"}}
# Staff pages of recruitment: a submitted Norfolk application, and a Cambridgeshire one.
SUBMITTED = own_and_other("submitted")
# Any valid link opens its own request whoever holds it (the token is the only
# credential); "another's" is a token one character off, which opens nothing.
TOKEN: dict[str, Any] = {"own": lambda w: {"token": w.own.token},
         "other": lambda w: {"token": w.own.token[:-1] + ("A" if w.own.token[-1] != "A" else "B")}}
DEPLOYMENT = own_and_other("deployment")
VISIT = own_and_other("visit")
STATEMENT = own_and_other("statement")
REPORT = own_and_other("report")
# Another's object, and the own survey (deployment) with another's answer (objective).
COMMENT = {"own": lambda w: {"pk": w.own.survey.pk, "answer_pk": w.own.answer.pk},
           "other": (lambda w: {"pk": w.other.survey.pk, "answer_pk": w.other.answer.pk},
                     lambda w: {"pk": w.own.survey.pk, "answer_pk": w.other.answer.pk})}
OBJECTIVE = {"own": lambda w: {"pk": w.own.deployment.pk, "objective_pk": w.own.objective.pk},
             "other": (lambda w: {"pk": w.other.deployment.pk, "objective_pk": w.other.objective.pk},
                       lambda w: {"pk": w.own.deployment.pk, "objective_pk": w.other.objective.pk})}

MATRIX: dict[str, Route] = {
    # --- public pages and accounts ---
    "home": page(everyone(200)),
    "healthz": page(everyone(200)),
    # Browsers ask for it on every page; it sends on to the static favicon.svg.
    "favicon": page(everyone(302)),
    # The school finder's matches: open schools' names and URNs are public (GIAS).
    "school_search": page(everyone(200), post=everyone(405)),
    # A signed-in person who follows a sign-in link just goes on (redirect_authenticated_user).
    "login": page(everyone(302, anonymous=200, referee=200), post=everyone(302, anonymous=200, referee=200)),
    "logout": action(everyone(302)),
    "password_change": page(signed_in(200), post=signed_in(200)),
    "password_change_done": page(signed_in(200)),
    "password_reset": page(everyone(200), post=everyone(200)),
    "password_reset_done": page(everyone(200)),
    # The token is the credential: a good one goes on to "set a new password";
    # a wrong one is Django's "this link is invalid" page.
    "password_reset_confirm": page(everyone(302), own=_reset_link,
                                   other=lambda w: {**_reset_link(w), "token": "bad-token"},
                                   other_get=everyone(200)),
    "password_reset_complete": page(everyone(200)),
    "invitation_accept": page(everyone(200), post=everyone(200),
                              own=lambda w: {"token": w.own.invitation_token},
                              other=lambda w: {"token": "no-such-invitation"},
                              other_get=everyone(404), other_post=everyone(404)),
    # A link goes to the new address; an empty POST is the form again with its errors.
    "email_change": page(signed_in(200), post=signed_in(200)),
    # The link emailed to the new address (the token is the credential): the
    # page asks for a press of "Confirm", which changes the address.
    "email_change_confirm": page(everyone(200), post=everyone(200),
                                 own=lambda w: {"token": w.own.email_change_token},
                                 other=lambda w: {"token": "no-such-link"},
                                 other_get=everyone(404), other_post=everyone(404)),
    "register": page(everyone(302, anonymous=200, referee=200), post=everyone(302, anonymous=200, referee=200)),
    "register_sent": page(everyone(200)),
    # The token is the credential; the matrix holds no pending registration.
    "register_confirm": page(everyone(404), post=everyone(404), own=lambda w: {"token": "no-such-registration"}),
    # Staff only. The advisers have no device yet: asking for a code sends them
    # to set one up. The assessor has one: setting up another sends them to enter its code.
    "otp_verify": page(gate(STAFF, assessor=200, adviser=SECOND_FACTOR, other_adviser=SECOND_FACTOR),
                       post=gate(STAFF, assessor=200, adviser=SECOND_FACTOR, other_adviser=SECOND_FACTOR)),
    "otp_setup": page(gate(STAFF, assessor=SECOND_FACTOR, adviser=200, other_adviser=200),
                      post=gate(STAFF, assessor=SECOND_FACTOR, adviser=200, other_adviser=200)),
    # --- the adviser's queue of claims to a headship: another LA's claim or head is a 404 ---
    "school_links": page(advisers(adviser=200, other_adviser=200)),
    "school_link_confirm": action(advisers(adviser=302), **own_and_other("school_claim")),
    "school_link_reject": action(advisers(adviser=302), **own_and_other("school_claim")),
    "school_link_end": action(advisers(adviser=302), **own_and_other("confirmed_head")),
    # --- recruitment: the applicant ---
    "applications:programme": page(everyone(200)),
    # Rounds are public; starting one (or finding the head's own) sends on.
    "applications:start": action(heads(302), own=lambda w: {"round_pk": w.own.round.pk}),
    "applications:mine": page(heads(302)),
    "applications:detail": page(heads(headteacher=200), **APPLICATION),
    "applications:task_list": page(heads(headteacher=200), **APPLICATION),
    "applications:section": page(heads(headteacher=200), post=heads(headteacher=200), **SECTION),
    "applications:autosave": action(heads(headteacher=200), **SECTION),
    "applications:check": page(heads(headteacher=200), post=heads(headteacher=200), **APPLICATION),
    # A draft is not submitted yet: back to its task list.
    "applications:submitted": page(heads(headteacher=302), **APPLICATION),
    # The reason is optional: the head's empty POST withdraws the draft.
    "applications:withdraw": page(heads(headteacher=200), post=heads(headteacher=302), **APPLICATION),
    "applications:send_request": action(
        heads(headteacher=302), own=lambda w: {"pk": w.own.application.pk, "kind": "reference"},
        other=lambda w: {"pk": w.other.application.pk, "kind": "reference"},
    ),
    # --- recruitment: the sponsor's link (the token is the only credential) ---
    "applications:reference_respond": page(everyone(200), post=everyone(200), **TOKEN),
    "applications:reference_draft": Route(get=everyone(405), post=everyone(200), **TOKEN),
    # --- recruitment: staff ---
    "applications:staff_link_request": action(
        advisers(adviser=302), own=lambda w: {"pk": w.own.link_request.pk, "action": "resend"},
        other=lambda w: {"pk": w.other.link_request.pk, "action": "resend"},
    ),
    "applications:staff_index": page(gate(STAFF, adviser=200, other_adviser=200, assessor=302)),
    # Already verified: a POST is refused with a message.
    "applications:staff_verify": page(advisers(adviser=200), post=advisers(adviser=302), **SUBMITTED),
    "applications:staff_la_approve": action(advisers(adviser=302), **SUBMITTED),
    "applications:staff_assign": page(advisers(adviser=200), post=advisers(adviser=200), **SUBMITTED),
    # An empty decision: the panel page again, with the form's errors.
    "applications:staff_decide": action(advisers(adviser=400), **SUBMITTED),
    "applications:staff_assessments": page(gate(("assessor",), assessor=200)),
    "applications:staff_assess": page(gate(("assessor",), assessor=200), post=gate(("assessor",), assessor=200),
                                      **own_and_other("assessment")),
    "applications:staff_panel": page(advisers(adviser=200), **own_and_other("round")),
    "applications:staff_send_decisions": action(advisers(adviser=302), **own_and_other("round")),
    # --- deployments ---
    "deployments:list": page(gate(DEPLOYMENT_ROLES, 200)),
    "deployments:detail": page(gate(DEPLOYMENT_ROLES, **PARTIES), **DEPLOYMENT),
    "deployments:accept": action(heads(lle=302, client_head=302), **DEPLOYMENT),
    "deployments:decline": page(gate((*HEADS, *ADVISERS), lle=200, client_head=200, adviser=200),
                                post=gate((*HEADS, *ADVISERS), lle=200, client_head=200, adviser=200), **DEPLOYMENT),
    "deployments:start": action(advisers(adviser=302), **DEPLOYMENT),
    "deployments:complete": action(advisers(adviser=302), **DEPLOYMENT),
    "deployments:end_early": page(advisers(adviser=200), post=advisers(adviser=200), **DEPLOYMENT),
    "deployments:contract": page(gate(DEPLOYMENT_ROLES, **PARTIES), **DEPLOYMENT),
    # Not finished yet: refused with a message, back to the deployment.
    "deployments:end_report": action(signed_in(**dict.fromkeys(PARTIES, 302)), **DEPLOYMENT),
    "deployments:objective_add": action(gate((*HEADS, *ADVISERS), lle=302, client_head=302, adviser=302),
                                        **DEPLOYMENT),
    "deployments:objective_rate": action(gate((*HEADS, *ADVISERS), lle=302, client_head=302, adviser=302),
                                         **OBJECTIVE),
    "deployments:visit_new": page(heads(lle=200), post=heads(lle=200), **DEPLOYMENT),
    "deployments:visit_amend": page(heads(lle=200), post=heads(lle=200), **VISIT),
    "deployments:visit_confirm": action(heads(client_head=302), **VISIT),
    "deployments:visit_query": page(heads(client_head=200), post=heads(client_head=200), **VISIT),
    "deployments:visit_flag": action(advisers(adviser=302), **VISIT),
    "deployments:overview": page(advisers(adviser=200, other_adviser=200)),
    "deployments:flagged_schools": page(advisers(adviser=200, other_adviser=200)),
    "deployments:matches": page(advisers(adviser=200), post=advisers(adviser=200), **own_and_other("need")),
    # A POST names the need in its body: an empty one names none.
    # An empty POST is refused with a message and sent back to the page.
    "deployments:match_all": page(advisers(adviser=200, other_adviser=200), post=advisers(302)),
    "deployments:statements": page(advisers(adviser=200, other_adviser=200),
                                   post=advisers(adviser=200, other_adviser=200)),
    "deployments:statement": page(advisers(adviser=200), **STATEMENT),
    "deployments:statement_finalise": action(advisers(adviser=302), **STATEMENT),
    "deployments:statement_csv": page(advisers(adviser=200), **STATEMENT),
    "deployments:statement_pdf": page(advisers(adviser=200), **STATEMENT),
    "deployments:claim_window": page(advisers(adviser=200, other_adviser=200),
                                     post=advisers(adviser=200, other_adviser=200)),
    # An empty POST names no held visit (or: the PDF is asked for): refused or done, back to the statement.
    "deployments:statement_approve": action(advisers(adviser=302), **STATEMENT),
    "deployments:statement_make_pdf": action(advisers(adviser=302), **STATEMENT),
    # The world's visit awaits confirmation: the page says only confirmed ones are corrected.
    "deployments:visit_correct": page(advisers(adviser=200), post=advisers(adviser=200), **VISIT),
    # --- impact ---
    "impact:dashboard": page(gate(("governor", *ADVISERS), governor=200, adviser=200, other_adviser=200)),
    # No year chosen: refused with a message, back to the dashboard.
    "impact:request_report": action(gate(("governor", *ADVISERS), governor=302, adviser=302, other_adviser=302)),
    "impact:survey_list": page(heads(200)),
    "impact:survey_answer": page(heads(lle=200), post=heads(lle=200), **own_and_other("invitation")),
    "impact:staff_survey_list": page(advisers(adviser=200, other_adviser=200)),
    "impact:survey_results": page(advisers(adviser=200), **own_and_other("survey")),
    "impact:survey_comment_publish": action(advisers(adviser=302), **COMMENT),
    "impact:survey_comment_unpublish": action(advisers(adviser=302), **COMMENT),
    # --- background reports: the Norfolk deployment's end report ---
    "reports:list": page(signed_in(200)),
    "reports:detail": page(signed_in(**PARTIES), **REPORT),
    "reports:download": page(signed_in(**PARTIES), **REPORT),
    # Not failed: nothing to try again, back to the report.
    "reports:try_again": action(signed_in(**dict.fromkeys(PARTIES, 302)), **REPORT),
    # --- the Django admin's own pages (each model's pages: ADMIN_MODELS) ---
    "admin_password_reset": page(everyone(302)),
    "admin:index": page(admin_staff(200)),
    # Signed in without staff status: "you are not authorised", with the form.
    "admin:login": page(everyone(200, **dict.fromkeys(STAFF, ADMIN_INDEX)), post=everyone(200)),
    # Without staff status the admin sends even its sign-out to its index (and so to sign in).
    "admin:logout": Route(get=everyone(ADMIN_INDEX, **dict.fromkeys(STAFF, 405)),
                          post=everyone(ADMIN_INDEX, **dict.fromkeys(STAFF, 302))),
    # Only a superuser sets someone else's password: an adviser could otherwise sign in as them.
    "admin:auth_user_password_change": page(admin_staff(403, other_adviser=404, adviser=403),
                                            own=lambda w: {"id": w.people["client_head"].pk}),
    "admin:password_change": page(admin_staff(200), post=admin_staff(200)),
    "admin:password_change_done": page(admin_staff(200)),
    # Without the field it is asked for, the search refuses.
    "admin:autocomplete": page(admin_staff(403)),
    "admin:jsi18n": page(admin_staff(200)),
    # "View on site" only redirects to the page, where the page's own rules apply.
    "admin:view_on_site": page(admin_staff(302), own=_view_on_site),
    # An app with nothing the assessor may see does not exist for them.
    "admin:app_list": page(admin_staff(200, assessor=404), own=lambda w: {"app_label": "deployments"}),
    # What the data suggests for a school (the support-need form's script): the school is
    # named in the query string; with none, or another LA's, there is no such school.
    "admin:deployments_supportneed_suggest": page(admin_staff(404, assessor=403)),
    # Authenticator devices are the superuser's business.
    # An uploaded import file: to its uploader (and superusers) only.
    "admin:lle_portal_importjob_file": page(admin_staff(404, adviser=200, assessor=403),
                                            own=lambda w: {"object_id": w.admin_own["lle_portal.importjob"].pk},
                                            other=lambda w: {"object_id": w.admin_other["lle_portal.importjob"].pk}),
    # England's usual term dates filled in for the adviser's own LAs (an empty post: a message, back to the list).
    "admin:lle_portal_schoolyearcalendar_fill_in": action(admin_staff(302, assessor=403)),
    "admin:otp_totp_totpdevice_config": page(admin_staff(403),
                                             own=lambda w: {"pk": w.admin_own["otp_totp.totpdevice"].pk}),
    "admin:otp_totp_totpdevice_qrcode": page(admin_staff(403),
                                             own=lambda w: {"pk": w.admin_own["otp_totp.totpdevice"].pk}),
}


@dataclass(frozen=True)
class AdminModel:
    """The adviser's answers on one registered model's admin pages.

    `change` is for an object of the adviser's own LA (or the only kind there
    is); `other_la` for another LA's object, which the adviser of another LA
    gets for the Norfolk one too. Everyone without staff status is sent to
    the admin's sign-in page."""

    changelist: Expect = 200
    add: Expect = 200
    change: Expect = 200
    other_la: Expect = 200
    # The assessor's changelist, add, change of their own object and of another's.
    assessor: tuple[Expect, Expect, Expect, Expect] = (403, 403, 403, 403)


# Records outside the adviser's LAs do not exist for them: a 404
# (lle_portal/admin_scope.py).
SCOPED = AdminModel(other_la=404)
# Records made only by a service (a submission, a designation, a visit
# recorded by the LLE...) or by the system: no "add" page.
MADE_BY_SERVICES = AdminModel(add=403, other_la=404)
# Shown when what the row is about is in the adviser's LAs.
LOG = AdminModel(add=403, other_la=404)
# Not the adviser's business: other apps' models, and the report machinery's.
CLOSED = AdminModel(403, 403, 403, 403)
ADMIN_MODELS: dict[str, AdminModel] = {
    "auth.group": CLOSED,
    # Internal tables: superuser-only (lle_portal/admin_groups.py, "system").
    "auditlog.logentry": CLOSED,
    "otp_totp.totpdevice": CLOSED,
    "axes.accessattempt": CLOSED,
    "axes.accesslog": CLOSED,
    "axes.accessfailurelog": CLOSED,
    # A new LA is a superuser's (or a national GIAS import's): an adviser's powers are scoped by LA.
    "lle_portal.localauthority": AdminModel(add=403, other_la=404),
    "lle_portal.school": SCOPED,
    "lle_portal.inspection": AdminModel(),
    "lle_portal.schoolresult": AdminModel(),
    "lle_portal.arearesult": AdminModel(),
    # Jobs of the uploader's LAs only.
    "lle_portal.importjob": SCOPED,
    # The LA's term dates: its advisers keep them.
    "lle_portal.schoolyearcalendar": SCOPED,
    # People get accounts by invitation or registration.
    "lle_portal.user": MADE_BY_SERVICES,
    "lle_portal.invitation": SCOPED,
    "lle_portal.auditevent": LOG,
    "lle_portal.outgoingemail": CLOSED,
    "lle_portal.report": CLOSED,
    "applications.applicationround": SCOPED,
    "applications.application": MADE_BY_SERVICES,
    # An assessor sees their own assignments here too; another's is a 404.
    "applications.assessment": AdminModel(add=403, other_la=404, assessor=(200, 403, 200, 404)),
    "applications.lleprofile": MADE_BY_SERVICES,
    "applications.trainingcohort": SCOPED,
    "applications.linkrequest": CLOSED,
    "deployments.supportneed": SCOPED,
    "deployments.deployment": MADE_BY_SERVICES,
    "deployments.visitrecord": MADE_BY_SERVICES,
    "deployments.reimbursementstatement": MADE_BY_SERVICES,
    "deployments.networkmeeting": SCOPED,
    "deployments.reminderlog": CLOSED,
    "impact.survey": SCOPED,
}


# --------------------------------------------------------------------------
# Walking the URL configuration
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class UrlEntry:
    name: str | None
    route: str
    view: str


def url_entries(resolver: URLResolver | None = None, prefix: str = "", namespace: str = "") -> list[UrlEntry]:
    """Every URL pattern of the site with its full name ("impact:dashboard")."""
    resolver = resolver or get_resolver()
    entries = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace])) if pattern.namespace else namespace
            entries += url_entries(pattern, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            entries.append(UrlEntry(name, prefix + str(pattern.pattern), pattern.lookup_str))
    return entries


def admin_model_labels() -> list[str]:
    return sorted(model._meta.label_lower for model in admin.site._registry)


def admin_model_url_names() -> set[str]:
    """The pages the admin makes for each registered model (checked from ADMIN_MODELS)."""
    return {
        f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}"
        for model in admin.site._registry
        for page in ("changelist", "add", "change", "delete", "history")
    }


def matrix_url_names() -> list[str]:
    """The named URLs that need an entry in MATRIX."""
    generated = admin_model_url_names()
    return sorted({e.name for e in url_entries() if e.name and e.name not in generated})


# --------------------------------------------------------------------------
# Fixtures: one world per module, one signed-in client per role
# --------------------------------------------------------------------------


@dataclass
class Matrix:
    world: World
    clients: dict[str, Client]
    media: Any


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world is built once and lives in a transaction rolled back when the
    module is done; each test (and each request) runs in a savepoint inside it."""
    media = tmp_path_factory.mktemp("matrix-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        outer = transaction.atomic()
        # Marked as a test case's block, so code that asks for a durable
        # transaction behaves as under any other test.
        outer._from_testcase = True
        outer.__enter__()
        try:
            world = build_world()
            clients = {}
            for role in ROLES:
                clients[role] = Client(raise_request_exception=False)
                if world.people[role] is not None:
                    clients[role].force_login(world.people[role])
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield Matrix(world, clients, media)
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def world_settings(settings, matrix):
    # The world's files (contract, statement, report PDFs) are in its own media folder.
    settings.MEDIA_ROOT = matrix.media


def outcome(response) -> Expect:
    if response.status_code in (301, 302, 303):
        location = response["Location"]
        if location.startswith(reverse("login")):
            return LOGIN
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        if location.startswith((reverse("otp_setup"), reverse("otp_verify"))):
            return SECOND_FACTOR
        if location == reverse("admin:index"):
            return ADMIN_INDEX
        return 302
    return response.status_code


def answer(client: Client, method: str, url: str) -> tuple[Expect, str]:
    """Open `url` and undo whatever it did: the database, the cache and the client's cookies."""
    cookies = copy.deepcopy(client.cookies)
    cache.clear()  # e.g. the sponsor link's count of bad tokens
    try:
        with transaction.atomic():
            response = getattr(client, method)(url)
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies
    detail = ""
    if response.status_code >= 500 and getattr(response, "exc_info", None):
        detail = f" ({response.exc_info[1]!r})"
    return outcome(response), detail


def check(matrix: Matrix, name: str, kwargs: dict, expected: dict[str, dict[str, Expect]],
          roles=ROLES) -> list[str]:
    """Open the URL as each role with each method; the lines that differ from `expected`."""
    url = reverse(name, kwargs=kwargs)
    wrong = []
    for method, answers in expected.items():
        for role in roles:
            got, detail = answer(matrix.clients[role], method, url)
            if got != answers[role]:
                wrong.append(f"{method.upper()} {url} as {role}: expected {answers[role]}, got {got}{detail}")
    return wrong


def other_answers(answers: dict[str, Expect]) -> dict[str, Expect]:
    """Another person's object: whoever is let in past the role check gets 404."""
    return {role: a if a in (*REFUSED, 405) else 404 for role, a in answers.items()}


# --------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------


def test_every_url_name_has_an_entry_in_the_matrix():
    names = set(matrix_url_names())
    missing = sorted(names - set(MATRIX))
    assert not missing, (
        f"No entry in the access matrix for {', '.join(missing)}: add each to MATRIX in "
        "lle_portal/tests/test_access_matrix.py, saying what every role must get."
    )
    stale = sorted(set(MATRIX) - names)
    assert not stale, f"MATRIX names URLs that no longer exist: {', '.join(stale)}. Remove them."


def test_every_url_outside_the_admin_has_a_name():
    unnamed = [e.route for e in url_entries() if not e.name and not e.route.startswith("admin/")]
    assert not unnamed, f"Give these URLs a name, and an entry in the access matrix: {unnamed}"


def test_every_registered_admin_model_has_an_entry():
    labels = set(admin_model_labels())
    missing = sorted(labels - set(ADMIN_MODELS))
    assert not missing, (
        f"No entry in the access matrix for the admin of {', '.join(missing)}: add each to ADMIN_MODELS in "
        "lle_portal/tests/test_access_matrix.py."
    )
    assert not sorted(set(ADMIN_MODELS) - labels), "ADMIN_MODELS names models no longer in the admin."


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(set(matrix_url_names()) | set(MATRIX)))
def test_each_url_answers_each_role_as_the_matrix_says(matrix, world_settings, name):
    route = MATRIX.get(name)
    if route is None:
        pytest.fail(f"{name} has no entry in the access matrix: add one to MATRIX in {__file__}.")
    expected = {"get": route.get, **({"post": route.post} if route.post else {})}
    wrong = check(matrix, name, route.own(matrix.world), expected)
    others = {"get": route.other_get or other_answers(route.get)}
    if route.post:
        others["post"] = route.other_post or other_answers(route.post)
    # Those refused by the role check are refused before any lookup: asking
    # them again about another's object would only repeat the first round.
    let_in = [role for role in ROLES if route.get[role] not in REFUSED or (route.post or {}).get(role) not in
              (*REFUSED, None)]
    for make in route.other if isinstance(route.other, tuple) else filter(None, [route.other]):
        wrong += check(matrix, name, make(matrix.world), others, roles=let_in)
    assert not wrong, f"{name}:\n" + "\n".join(wrong)


@pytest.mark.django_db
@pytest.mark.parametrize("label", admin_model_labels())
def test_each_admin_model_answers_each_role_as_the_matrix_says(matrix, world_settings, label):
    spec = ADMIN_MODELS.get(label)
    if spec is None:
        pytest.fail(f"The admin of {label} has no entry in the access matrix: add one to ADMIN_MODELS.")
    app_label, model_name = label.split(".")
    world = matrix.world
    model = next(m for m in admin.site._registry if m._meta.label_lower == label)
    own = world.admin_own.get(label) or model._default_manager.order_by("pk").first()
    other = world.admin_other.get(label)

    def answers(adviser: Expect, other_adviser: Expect, assessor: Expect) -> dict[str, dict[str, Expect]]:
        return {"get": {**everyone(ADMIN_LOGIN), "adviser": adviser, "other_adviser": other_adviser,
                        "assessor": assessor}}

    wrong = []
    prefix = f"admin:{app_label}_{model_name}_"
    wrong += check(matrix, prefix + "changelist", {}, answers(spec.changelist, spec.changelist, spec.assessor[0]))
    wrong += check(matrix, prefix + "add", {}, answers(spec.add, spec.add, spec.assessor[1]))
    if own is not None:
        wrong += check(matrix, prefix + "change", {"object_id": own.pk},
                       answers(spec.change, spec.other_la, spec.assessor[2]))
    if other is not None:
        wrong += check(matrix, prefix + "change", {"object_id": other.pk},
                       answers(spec.other_la, spec.other_la, spec.assessor[3]))
    assert not wrong, f"admin of {label}:\n" + "\n".join(wrong)


def _adviser_pages(world: World) -> list[tuple[str, dict]]:
    return [(name, route.own(world)) for name, route in MATRIX.items()
            if route.get["adviser"] == 200 and not name.startswith("otp_")]


@pytest.mark.django_db
@pytest.mark.parametrize("verified", [False, True], ids=["without-second-factor", "with-second-factor"])
def test_with_two_factor_on_an_adviser_opens_staff_pages_only_after_their_code(
    matrix, world_settings, settings, verified_login, verified
):
    settings.LLE_STAFF_2FA = True
    client = Client(raise_request_exception=False)
    adviser = matrix.world.people["adviser"]
    if verified:
        verified_login(client, adviser)
    else:
        client.force_login(adviser)
    pages = _adviser_pages(matrix.world)
    assert len(pages) > 20
    wrong = []
    for name, kwargs in pages:
        url = reverse(name, kwargs=kwargs)
        got, detail = answer(client, "get", url)
        if got != (200 if verified else SECOND_FACTOR):
            wrong.append(f"GET {url}: got {got}{detail}")
    assert not wrong, "\n".join(wrong)
