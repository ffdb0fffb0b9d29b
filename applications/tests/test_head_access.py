"""Who may open each of the headteacher's pages: anonymous → sign in; the head
→ their own (another head's is a 404); advisers, assessors, governors → 403."""

import pytest
from django.urls import reverse

from applications.tests.factories import ApplicationFactory
from lle_portal.tests.factories import HeadteacherFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
OTHER_ROLES = ["adviser", "assessor", "governor"]

# (URL name, extra args after the application's pk, method)
PAGES = [
    ("detail", [], "get"),
    ("task_list", [], "get"),
    ("section", ["school"], "get"),
    ("section", ["performance"], "get"),
    ("section", ["referee"], "get"),
    ("section", ["approvals"], "post"),
    ("autosave", ["offer"], "post"),
    ("check", [], "get"),
    ("check", [], "post"),
    ("withdraw", [], "get"),
    ("withdraw", [], "post"),
]
IDS = [f"{method} {name} {' '.join(args)}".strip() for name, args, method in PAGES]


@pytest.fixture
def own(users):
    return ApplicationFactory(applicant=users["headteacher"])


@pytest.fixture
def theirs():
    return ApplicationFactory(applicant=HeadteacherFactory())


def _request(client, name, args, method, application):
    url = reverse(f"applications:{name}", args=[application.pk, *args])
    return getattr(client, method)(url)


@pytest.mark.parametrize(("name", "args", "method"), PAGES, ids=IDS)
def test_anonymous_visitors_are_sent_to_sign_in(client, own, name, args, method):
    response = _request(client, name, args, method, own)
    assert response.status_code == 302
    assert response.url.startswith(LOGIN + "?next=")


@pytest.mark.parametrize(("name", "args", "method"), [p for p in PAGES if p[2] == "get"],
                         ids=[i for i, p in zip(IDS, PAGES, strict=True) if p[2] == "get"])
def test_the_head_opens_their_own_application(client, users, own, name, args, method):
    client.force_login(users["headteacher"])
    expected = 302 if name == "task_list" and not own.is_editable else 200
    assert _request(client, name, args, method, own).status_code == expected


@pytest.mark.parametrize(("name", "args", "method"), PAGES, ids=IDS)
def test_another_heads_application_is_a_404(client, users, theirs, name, args, method):
    client.force_login(users["headteacher"])
    assert _request(client, name, args, method, theirs).status_code == 404


@pytest.mark.parametrize("role", OTHER_ROLES)
@pytest.mark.parametrize(("name", "args", "method"), PAGES, ids=IDS)
def test_other_roles_are_refused(client, users, own, role, name, args, method):
    client.force_login(users[role])
    assert _request(client, name, args, method, own).status_code == 403


@pytest.mark.parametrize("role", ["anonymous", "headteacher", *OTHER_ROLES])
def test_the_programme_page_is_open_to_everyone(client, users, role):
    if role != "anonymous":
        client.force_login(users[role])
    assert client.get(reverse("applications:programme")).status_code == 200


def test_my_application_needs_a_head(client, users):
    assert client.get(reverse("applications:mine")).url.startswith(LOGIN)
    for role in OTHER_ROLES:
        client.force_login(users[role])
        assert client.get(reverse("applications:mine")).status_code == 403


def test_the_submitted_page_is_the_heads_own(client, users, own, theirs):
    client.force_login(users["headteacher"])
    assert client.get(reverse("applications:submitted", args=[theirs.pk])).status_code == 404
    client.force_login(users["governor"])
    assert client.get(reverse("applications:submitted", args=[own.pk])).status_code == 403
