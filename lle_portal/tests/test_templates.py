"""The shared layout and partials every app's pages are built from."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.test import RequestFactory

from lle_portal import context_processors
from lle_portal.context_processors import nav_items

TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"


class ElementCollector(HTMLParser):
    """Records every start tag with its attributes, in document order."""

    def __init__(self):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def _elements(html: str) -> list[tuple[str, dict]]:
    parser = ElementCollector()
    parser.feed(html)
    return parser.elements


# --- Error summary -----------------------------------------------------------------


class ApplicationForm(forms.Form):
    school_name = forms.CharField(label="School name")
    years_as_head = forms.IntegerField(label="Years as headteacher")
    urn = forms.CharField(label="URN", required=False)

    def clean(self):
        raise forms.ValidationError("Either give the URN or the school's name and town.")


def test_the_error_summary_links_to_each_invalid_field_and_lists_form_errors():
    form = ApplicationForm(data={"years_as_head": "many"})
    html = render_to_string("partials/error_summary.html", {"form": form})
    elements = _elements(html)

    summary = next(attrs for tag, attrs in elements if "data-error-summary" in attrs)
    assert summary["role"] == "alert"
    assert summary["tabindex"] == "-1"
    assert "There is a problem" in html
    links = [attrs["href"] for tag, attrs in elements if tag == "a"]
    assert links == ["#id_school_name", "#id_years_as_head"]
    assert "School name: This field is required." in html
    assert "Enter a whole number." in html
    assert "Either give the URN or the school&#x27;s name and town." in html


def test_the_error_summary_follows_a_form_prefix():
    form = ApplicationForm(data={}, prefix="part_a")
    html = render_to_string("partials/error_summary.html", {"form": form})
    assert 'href="#id_part_a-school_name"' in html


def test_there_is_no_error_summary_without_errors():
    assert render_to_string("partials/error_summary.html", {"form": ApplicationForm()}).strip() == ""


def test_the_field_ids_the_summary_links_to_exist_in_the_rendered_form():
    form = ApplicationForm(data={})
    summary = render_to_string("partials/error_summary.html", {"form": form})
    fields = render_to_string("partials/form_fields.html", {"form": form})
    ids = {attrs.get("id") for _, attrs in _elements(fields)}
    for href in re.findall(r'href="#([^"]+)"', summary):
        assert href in ids
    # Non-field errors are shown once, in the summary, not again above the fields.
    assert "Either give the URN" not in fields


def test_the_site_script_focuses_the_summary():
    script = Path(finders.find("js/site.js")).read_text()
    assert "[data-error-summary]" in script and ".focus()" in script


# --- Status tag and task list -------------------------------------------------------


@pytest.mark.parametrize("tone", ["info", "success", "warning", "danger"])
def test_a_status_tag_says_its_status_in_words(tone):
    html = render_to_string("partials/status_tag.html", {"status": "In progress", "tone": tone})
    assert html.strip() == f'<strong class="status-tag status-tag--{tone}">In progress</strong>'


def test_a_status_tag_without_a_tone_is_plain():
    html = render_to_string("partials/status_tag.html", {"status": "Not started"})
    assert html.strip() == '<strong class="status-tag">Not started</strong>'


def test_the_task_list_shows_each_section_with_its_link_hint_and_status():
    tasks = [
        {"title": "Part A: eligibility", "url": "/apply/part-a/", "status": "Completed"},
        {"title": "Part B: evidence", "url": "/apply/part-b/", "status": "In progress", "hint": "3 of 5 answered"},
        {"title": "Referee", "url": "/apply/referee/", "status": "Not started"},
        {"title": "Check your answers", "status": "Cannot start yet"},
    ]
    html = render_to_string("partials/task_list.html", {"tasks": tasks})
    elements = _elements(html)

    links = [(attrs["href"], attrs["aria-describedby"]) for tag, attrs in elements if tag == "a"]
    assert links == [
        ("/apply/part-a/", "task-1-status"),
        ("/apply/part-b/", "task-2-hint task-2-status"),
        ("/apply/referee/", "task-3-status"),
    ]
    ids = {attrs.get("id") for _, attrs in elements}
    assert {"task-1-status", "task-2-hint", "task-2-status", "task-3-status", "task-4-status"} <= ids
    assert "3 of 5 answered" in html
    assert '<strong class="status-tag status-tag--success">Completed</strong>' in html
    assert '<strong class="status-tag status-tag--info">In progress</strong>' in html
    assert '<strong class="status-tag">Not started</strong>' in html
    # A section that cannot be started yet is not a link.
    assert "<span>Check your answers</span>" in html


def test_two_task_lists_on_one_page_keep_their_ids_apart():
    tasks = [{"title": "A", "url": "/a/", "status": "Completed", "tone": "warning"}]
    html = render_to_string("partials/task_list.html", {"tasks": tasks, "id_prefix": "deployment"})
    assert 'id="deployment-1-status"' in html
    assert "status-tag--warning" in html


# --- The base page -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_base_page_starts_with_a_skip_link_and_has_the_landmarks(client):
    html = client.get("/").content.decode()
    elements = _elements(html)

    assert ("html", {"lang": "en-gb"}) in elements
    body = next(i for i, (tag, _) in enumerate(elements) if tag == "body")
    first_focusable = next(
        attrs for tag, attrs in elements[body:] if tag in ("a", "button", "input", "select", "textarea")
    )
    assert first_focusable["href"] == "#main-content"
    assert "Skip to main content" in html

    tags = [tag for tag, _ in elements]
    for landmark in ("header", "main", "footer"):
        assert tags.count(landmark) == 1
    assert any(tag == "nav" and attrs.get("aria-label") == "Main" for tag, attrs in elements)
    assert any(tag == "main" and attrs.get("id") == "main-content" for tag, attrs in elements)
    assert re.search(r"<title>LLE Portal</title>", html)


@pytest.mark.django_db
def test_bootstrap_is_served_from_our_own_static_files(client):
    html = client.get("/").content.decode()
    assert 'href="/static/vendor/bootstrap/css/bootstrap.min.css"' in html
    assert 'src="/static/vendor/bootstrap/js/bootstrap.bundle.min.js" defer' in html
    assert 'src="/static/js/site.js" defer' in html
    for name in (
        "vendor/bootstrap/css/bootstrap.min.css",
        "vendor/bootstrap/js/bootstrap.bundle.min.js",
        "vendor/bootstrap/LICENSE",
        "css/site.css",
        "js/site.js",
    ):
        assert finders.find(name), name
    assert "Bootstrap  v5.3" in Path(finders.find("vendor/bootstrap/css/bootstrap.min.css")).read_text()[:200]


def test_no_template_has_inline_script_or_style_nor_a_cdn():
    # A strict Content-Security-Policy (script-src 'self'; style-src 'self') is planned.
    for template in TEMPLATES_DIR.rglob("*.html"):
        if template.relative_to(TEMPLATES_DIR).parts[0] == "emails":
            continue  # Read by email clients, not by browsers under our CSP.
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), f"inline <script> in {template}"
        assert not re.search(r"\bstyle\s*=", text), f"style= attribute in {template}"
        assert "<style" not in text, f"<style> element in {template}"
        assert not re.search(r"\b\s+on[a-z]+\s*=\s*\"", text), f"inline event handler in {template}"
        assert not re.search(r"(src|href)=\"(https?:)?//", text), f"external asset in {template}"


def test_the_500_page_renders_with_no_context_at_all():
    html = render_to_string("500.html")
    assert "Sorry, there is a problem with the service" in html
    assert 'href="#main-content"' in html


# --- Navigation by role --------------------------------------------------------------

NAV_BY_ROLE = {
    "anonymous": ["About the programme", "Sign in"],
    "headteacher": ["Home", "Apply to be an LLE"],
    "governor": ["Home", "Dashboard"],
    "adviser": ["Home", "Dashboard", "Recruitment", "Deployments", "Surveys", "School links", "Admin"],
    "assessor": ["Home", "Recruitment", "Admin"],
}


def _nav_labels(html: str) -> list[str]:
    nav = html.split('aria-label="Main"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'class="nav-link[^"]*"[^>]*>([^<]+)</a>', nav)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(NAV_BY_ROLE))
def test_the_navigation_depends_on_the_role(client, users, role):
    if role != "anonymous":
        client.force_login(users[role])
    html = client.get("/").content.decode()
    assert _nav_labels(html) == NAV_BY_ROLE[role]
    nav = html.split('aria-label="Main"', 1)[1].split("</nav>", 1)[0]
    if role == "anonymous":
        assert "Sign out" not in nav
    else:
        assert users[role].full_name in nav
        assert re.search(
            r'<form method="post" action="/accounts/logout/">\s*<input type="hidden" name="csrfmiddlewaretoken"', nav
        )


@pytest.mark.django_db
def test_the_current_page_is_marked_in_the_navigation(client, users):
    client.force_login(users["adviser"])
    html = client.get("/").content.decode()
    assert '<a class="nav-link active" href="/" aria-current="page">Home</a>' in html
    assert 'href="/admin/" aria-current' not in html


@pytest.mark.django_db
def test_a_nav_entry_appears_once_its_route_exists(users, monkeypatch):
    request = RequestFactory().get("/")
    request.user = users["headteacher"]
    monkeypatch.setattr(
        context_processors,
        "SIGNED_IN_NAV",
        (
            ("Home", "home", lambda user: True),
            ("Not built yet", "applications:no-such-page", lambda user: True),
            ("Change password", "password_change", lambda user: True),
        ),
    )
    assert [item.label for item in nav_items(request)] == ["Home", "Change password"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "summary"),
    [
        ("headteacher", "headteacher of {school}"),
        ("governor", "governor of {school}"),
        ("adviser", "LA lead adviser for Norfolk"),
        ("assessor", "assessor"),
    ],
)
def test_the_home_page_says_who_is_signed_in(client, users, role, summary):
    user = users[role]
    client.force_login(user)
    html = client.get("/").content.decode()
    school = users["governor"].school.name
    assert f"Signed in as <strong>{user.full_name}</strong>, {summary.format(school=school)}." in html


@pytest.mark.django_db
def test_the_home_page_tells_a_visitor_what_the_programme_is(client):
    html = client.get("/").content.decode()
    assert "Local Leaders of Education" in html
    assert 'href="/accounts/login/"' in html


@pytest.mark.parametrize(
    ("level", "css", "role"),
    [
        (constants.SUCCESS, "alert-success", "status"),
        (constants.INFO, "alert-info", "status"),
        (constants.WARNING, "alert-warning", "alert"),
        (constants.ERROR, "alert-danger", "alert"),
    ],
)
@pytest.mark.django_db  # the footer lists the open round's contacts
def test_messages_are_alerts_that_assistive_technology_announces(level, css, role):
    html = render_to_string("base.html", {"messages": [Message(level, "Saved.")]})
    assert f'<div class="alert {css}" role="{role}">Saved.</div>' in html
