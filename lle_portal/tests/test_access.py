"""Who may open each page of the core, for every role; and the access helpers."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import path, reverse

from lle_portal import urls as project_urls
from lle_portal.access import has_role, role_required, staff_required
from lle_portal.tests.factories import AdviserFactory, HeadteacherFactory

ROLES = ["anonymous", "headteacher", "adviser", "assessor", "governor"]
SIGNED_IN = ROLES[1:]

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"

# (URL, expected status per role). 302s name where they go.
PAGES = {
    "home": ("/", dict.fromkeys(ROLES, 200)),
    "login": (LOGIN, {"anonymous": 200, **dict.fromkeys(SIGNED_IN, (302, "/"))}),
    "password_change": (
        "/accounts/password/change/",
        {"anonymous": (302, LOGIN), **dict.fromkeys(SIGNED_IN, 200)},
    ),
    "password_change_done": (
        "/accounts/password/change/done/",
        {"anonymous": (302, LOGIN), **dict.fromkeys(SIGNED_IN, 200)},
    ),
    "password_reset": ("/accounts/password/reset/", dict.fromkeys(ROLES, 200)),
    "password_reset_done": ("/accounts/password/reset/sent/", dict.fromkeys(ROLES, 200)),
    # A made-up link: the page says it cannot be used, to everyone.
    "password_reset_confirm": ("/accounts/password/reset/MQ/bad-token/", dict.fromkeys(ROLES, 200)),
    "password_reset_complete": ("/accounts/password/reset/complete/", dict.fromkeys(ROLES, 200)),
    "invitation_accept": ("/accounts/invitation/unknown-token/", dict.fromkeys(ROLES, 404)),
    "admin_index": (
        "/admin/",
        {
            "anonymous": (302, ADMIN_LOGIN),
            "headteacher": (302, ADMIN_LOGIN),
            "governor": (302, ADMIN_LOGIN),
            "adviser": 200,
            "assessor": 200,
        },
    ),
}
# The adviser's account pages in the admin: not for assessors (staff, other job).
for name, url in [
    ("admin_invitations", "/admin/lle_portal/invitation/"),
    ("admin_invitation_add", "/admin/lle_portal/invitation/add/"),
    ("admin_users", "/admin/lle_portal/user/"),
]:
    PAGES[name] = (
        url,
        {
            "anonymous": (302, ADMIN_LOGIN),
            "headteacher": (302, ADMIN_LOGIN),
            "governor": (302, ADMIN_LOGIN),
            "adviser": 200,
            "assessor": 403,
        },
    )


def _client_as(client, users, role):
    if role != "anonymous":
        client.force_login(users[role])
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", list(PAGES))
def test_each_page_answers_each_role_as_it_should(client, users, page, role):
    url, expected = PAGES[page]
    response = _client_as(client, users, role).get(url)
    status, target = expected[role] if isinstance(expected[role], tuple) else (expected[role], None)
    assert response.status_code == status
    if target:
        assert response.url.split("?")[0] == target


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_signing_out_is_a_post_for_everyone(client, users, role):
    client = _client_as(client, users, role)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert (response.status_code, response.url) == (302, "/")


@pytest.mark.django_db
@pytest.mark.parametrize("role", SIGNED_IN)
def test_a_user_page_of_the_admin_is_for_advisers_only(client, users, role):
    url = reverse("admin:lle_portal_user_change", args=[users["governor"].pk])
    response = _client_as(client, users, role).get(url)
    expected = {"adviser": 200, "assessor": 403}.get(role, 302)
    assert response.status_code == expected


@pytest.mark.django_db
def test_a_superuser_page_is_not_shown_to_an_adviser(client, users):
    # A superuser is tied to no LA but is not "national" like an assessor:
    # advisers neither list nor open their account (services.people_visible_to).
    from lle_portal.models import User

    root = User.objects.create_superuser(email="root@example.org", password="x" * 20, full_name="Root")
    client.force_login(users["adviser"])
    response = client.get(reverse("admin:lle_portal_user_change", args=[root.pk]))
    assert response.status_code == 404
    # Another adviser's page, in an LA of theirs, is still read-only.
    colleague = AdviserFactory(local_authorities=list(users["adviser"].local_authorities.all()))
    response = client.get(reverse("admin:lle_portal_user_change", args=[colleague.pk]))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False


# --- The helpers later apps use ----------------------------------------------------


@role_required("headteacher")
def head_only(request):
    return HttpResponse("for heads")


@role_required("adviser", "assessor")
def advisers_and_assessors(request):
    return HttpResponse("for advisers and assessors")


@staff_required
def staff_only(request):
    return HttpResponse("for staff")


@role_required("governor")
def governor_only(request):
    return HttpResponse("for governors")


HELPER_VIEWS = {
    "/t/head-only/": (head_only, {"headteacher"}),
    "/t/adviser-assessor/": (advisers_and_assessors, {"adviser", "assessor"}),
    "/t/staff/": (staff_only, {"adviser", "assessor"}),
    "/t/governor/": (governor_only, {"governor"}),
}

# Served by this module under @pytest.mark.urls, beside the real routes, so the
# 403 page and the login redirect are the project's own.
urlpatterns = [path(url.strip("/") + "/", view) for url, (view, _) in HELPER_VIEWS.items()] + list(
    project_urls.urlpatterns
)


@pytest.mark.django_db
@pytest.mark.urls("lle_portal.tests.test_access")
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", list(HELPER_VIEWS))
def test_the_access_helpers_send_visitors_to_sign_in_and_refuse_other_roles(client, users, url, role):
    _, allowed = HELPER_VIEWS[url]
    response = _client_as(client, users, role).get(url)
    if role == "anonymous":
        assert response.status_code == 302
        assert response.url == f"{LOGIN}?next={url}"
    elif role in allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert "You do not have access to this page" in response.content.decode()
        assert "403.html" in [t.name for t in response.templates]


@pytest.mark.django_db
def test_a_superuser_counts_as_an_adviser_but_not_as_a_head(users):
    from lle_portal.models import User

    root = User.objects.create_superuser(email="root@example.org", password="x" * 20, full_name="Root")
    root.role = User.Role.ASSESSOR
    assert has_role(root, "adviser")
    assert not has_role(root, "headteacher")


@pytest.mark.django_db
def test_a_deactivated_user_has_no_role():
    head = HeadteacherFactory(is_active=False)
    assert not has_role(head, "headteacher")


def test_role_required_refuses_an_unknown_role_at_import_time():
    with pytest.raises(ValueError, match="Unknown role"):
        role_required("headmaster")
    with pytest.raises(ValueError):
        role_required()


def test_role_required_raises_permission_denied_for_the_handler_to_render(rf: RequestFactory):
    request = rf.get("/t/")
    request.user = AnonymousUser()
    assert head_only(request).status_code == 302

    class Governor:
        is_authenticated = True
        is_active = True
        is_superuser = False
        role = "governor"

    request.user = Governor()  # type: ignore[assignment]
    with pytest.raises(PermissionDenied):
        head_only(request)


@pytest.mark.django_db
def test_an_unknown_address_shows_the_site_404_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    assert "Page not found" in response.content.decode()
