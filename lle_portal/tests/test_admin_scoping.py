"""The admin scoping test: every registered ModelAdmin, walked as the adviser
of another LA.

Two LAs are built with one of everything (school, inspection, results, round,
application with its sponsor's link request and autosaved draft, assessment,
LLE, cohort, support need, deployment with objective, colleague, visit,
reminder, statement, network meeting with attendance, survey, report, emails,
audit events, field history...). Norfolk's adviser is the attacker; every row
made while building Xanadu (the other LA) is foreign to them. For each admin
the walker asserts that no foreign row appears in its list (plain, searched
for the foreign row's name, as the raw-id popup), in autocomplete answers, nor
is acted on by any of its actions; that the change, history and delete pages
of foreign rows are 404 or 403; that every foreign-key and many-to-many field
of its add and change forms (and their inlines) refuses a foreign id; and that
no page names Xanadu.

The walker is checked too: a throwaway admin registered without scoping must
be flagged (test_it_flags_an_admin_registered_without_scoping).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.sites import AdminSite
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.forms.models import model_to_dict
from django.test import Client, RequestFactory, override_settings
from django.urls import clear_url_caches, path, reverse

from applications.models import LinkRequest, TrainingCohort
from deployments.models import NetworkMeeting, NetworkMeetingAttendance, ReminderLog, SupportNeed
from deployments.tests.factories import ColleagueFactory
from lle_portal.audit import audit_record
from lle_portal.models import AreaResult, AuditEvent, ImportJob, Invitation, OutgoingEmail, School, User
from lle_portal.school_calendar import fill_in_england_pattern
from lle_portal.tests.access_matrix_world import Side, _applications_side, _deployment_side, _survey_side
from lle_portal.tests.factories import (
    AdviserFactory,
    AssessorFactory,
    HeadteacherFactory,
    InspectionFactory,
    LocalAuthorityFactory,
    SchoolFactory,
    SchoolResultFactory,
)

MARKER = "Xanadu"

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------
# The two LAs
# --------------------------------------------------------------------------


def build_la(*, code: str, name: str, marker: str, assessor: User) -> dict[str, Any]:
    """One of everything in one LA, named after `marker` where a name is free.
    The assessor belongs to no LA (assessors work for the programme)."""
    la = LocalAuthorityFactory.create(code=code, name=name)
    adviser = AdviserFactory.create(local_authorities=[la], full_name=f"{marker} Adviser")
    side = Side()
    _deployment_side(side, la=la, client_head=HeadteacherFactory(full_name=f"{marker} Client Head"))
    school = side.deployment.client_school
    school.name = f"{marker} Client Primary"
    school.save()
    lle = side.deployment.lle
    lle.user.full_name = f"{marker} Leader"
    lle.user.save()
    InspectionFactory(school=school)
    SchoolResultFactory(school=school)
    AreaResult.objects.create(area_code=code, local_authority=la, key_stage="KS2", measure="PTRWM_EXP", year=2025,
                              value=61)
    applicant = HeadteacherFactory.create(full_name=f"{marker} Applicant", school=SchoolFactory(local_authority=la,
                                                                                          name=f"{marker} Academy"))
    _applications_side(side, la=la, applicant=applicant, adviser=adviser, assessor=assessor)
    side.round.name = f"{marker} round"
    side.round.save()
    # What the sponsor typed before sending: never in the field history.
    side.link_request.draft = {"safeguarding_details": f"{marker} draft secret"}
    side.link_request.decline_reason = f"{marker} decline secret"
    side.link_request.save()
    _survey_side(side, la=la, respondent=lle.user)
    side.survey.title = f"{marker} survey"
    side.survey.save()
    cohort = TrainingCohort.objects.create(round=side.round, name=f"{marker} cohort", starts_on=date(2026, 9, 1),
                                           ends_on=date(2026, 10, 1))
    lle.cohort = cohort
    lle.save()
    meeting = NetworkMeeting.objects.create(local_authority=la, held_on=date(2026, 11, 1),
                                            title=f"{marker} network meeting")
    NetworkMeetingAttendance.objects.create(meeting=meeting, lle=lle)
    ReminderLog.objects.create(deployment=side.deployment, kind=ReminderLog.Kind.ENDING_SOON, key=marker)
    OutgoingEmail.objects.create(to=f"{marker.lower()}@example.org", subject=f"{marker} deployment", body_text="b",
                                 template="t", about=side.deployment)
    audit_record(verb="school.checked", target=school, actor=adviser, data={"by": marker})
    ColleagueFactory(deployment=side.deployment, name=f"{marker} Deputy",
                     user=HeadteacherFactory(full_name=f"{marker} Deputy", school=lle.school))
    invitation = Invitation(email=f"{marker.lower()}.governor@example.org", full_name=f"{marker} Governor",
                            role=User.Role.GOVERNOR, school=school, created_by=adviser)
    invitation.new_token()
    invitation.save()
    ImportJob.objects.create(kind=ImportJob.Kind.GIAS, file="imports/x.csv", original_name=f"{marker}.csv",
                             created_by=adviser)
    fill_in_england_pattern(la, 2027)  # the LA's term dates, with their terms and bank holidays
    return {"la": la, "adviser": adviser, "side": side}


def _all_rows() -> dict[type[models.Model], set]:
    return {model: set(model._base_manager.values_list("pk", flat=True)) for model in apps.get_models()}


@dataclass
class Scenario:
    attacker: User
    # The rows made while building Xanadu, by model.
    foreign: dict[type[models.Model], set] = field(default_factory=dict)
    client: Client = None  # type: ignore[assignment]  # set once the scenario is built

    def foreign_of(self, model: type[models.Model]) -> set:
        return self.foreign.get(model, set())


@pytest.fixture(scope="module")
def scenario(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once for the module in a transaction rolled back at its end."""
    media = tmp_path_factory.mktemp("scoping-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        outer = transaction.atomic()
        outer._from_testcase = True
        outer.__enter__()
        try:
            norfolk = build_la(code="926", name="Norfolk", marker="Norfolk", assessor=AssessorFactory())
            assessor = AssessorFactory()
            before = _all_rows()
            build_la(code="999", name=f"{MARKER} Borough", marker=MARKER, assessor=assessor)
            after = _all_rows()
            foreign = {model: after[model] - before[model] for model in after if after[model] - before[model]}
            client = Client(raise_request_exception=False)
            client.force_login(norfolk["adviser"])
            result = Scenario(attacker=norfolk["adviser"], foreign=foreign, client=client)
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield result
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


# --------------------------------------------------------------------------
# The walker
# --------------------------------------------------------------------------


def _get(client: Client, url: str, data: dict | None = None):
    with transaction.atomic():
        response = client.get(url, data or {})
        transaction.set_rollback(True)
    return response


def _html(response) -> str:
    return response.content.decode(errors="replace") if not getattr(response, "streaming", False) else ""


def _links_to_foreign(html: str, scenario: Scenario) -> list[str]:
    found = []
    for model, pks in scenario.foreign.items():
        if model._meta.label_lower in {"auditlog.logentry"}:
            continue
        for pk in pks:
            for page in ("change", "history", "delete"):
                url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/{pk}/{page}/"
                if url in html:
                    found.append(url)
    return found


def _page_problems(what: str, response, scenario: Scenario, *, searched: bool = False) -> list[str]:
    if response.status_code >= 500:
        detail = getattr(response, "exc_info", None)
        return [f"{what}: {response.status_code} {detail[1]!r}" if detail else f"{what}: {response.status_code}"]
    problems = []
    html = _html(response)
    # A searched page repeats the search term (in the box, the links): the rows are checked instead.
    if MARKER in html and not searched:
        at = html.index(MARKER)
        problems.append(f"{what}: the page names {MARKER} (…{html[max(0, at - 80):at + 40]!r}…)")
    problems += [f"{what}: links to {url}" for url in _links_to_foreign(html, scenario)]
    return problems


def _listed_pks(response) -> set:
    context = response.context
    if not context or "cl" not in context:
        return set()
    cl = context["cl"]
    return set(cl.queryset.values_list("pk", flat=True)) | {obj.pk for obj in cl.result_list}


def _admin_url(model: type[models.Model], page: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


def _request(user: User):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def check_lists(site: AdminSite, model, model_admin, scenario: Scenario) -> list[str]:
    foreign = scenario.foreign_of(model)
    url = _admin_url(model, "changelist")
    searches = [{}, {"q": MARKER}, {"_to_field": "id", "_popup": "1"}, {"q": MARKER, "_to_field": "id", "_popup": "1"}]
    for pk in list(foreign)[:3]:
        obj = model._base_manager.get(pk=pk)
        searches.append({"q": str(obj)[:60]})
    problems = []
    for params in searches:
        response = _get(scenario.client, url, params)
        what = f"{model._meta.label} list {params or ''}"
        if response.status_code in (302, 403):
            continue
        problems += _page_problems(what, response, scenario, searched="q" in params)
        shown = _listed_pks(response) & foreign
        if shown:
            problems.append(f"{what}: lists foreign rows {sorted(shown)[:5]}")
    return problems


def check_object_pages(site: AdminSite, model, model_admin, scenario: Scenario) -> list[str]:
    problems = []
    for pk in sorted(scenario.foreign_of(model))[:3]:
        for page in ("change", "history", "delete"):
            response = _get(scenario.client, _admin_url(model, page, pk))
            if response.status_code not in (403, 404):
                problems.append(f"{model._meta.label} {page} page of foreign row {pk}: {response.status_code}")
    return problems


def check_autocomplete(site: AdminSite, model, model_admin, scenario: Scenario) -> list[str]:
    """Django answers any FK or M2M pointing at a model whose admin has search fields."""
    foreign = scenario.foreign_of(model)
    problems = []
    for source in apps.get_models():
        for db_field in source._meta.get_fields():
            if not (db_field.is_relation and db_field.concrete and db_field.remote_field
                    and db_field.remote_field.model is model):
                continue
            for term in ("", MARKER):
                response = _get(scenario.client, reverse("admin:autocomplete"), {
                    "app_label": source._meta.app_label, "model_name": source._meta.model_name,
                    "field_name": db_field.name, "term": term,
                })
                what = f"autocomplete of {source._meta.label}.{db_field.name} → {model._meta.label} term={term!r}"
                if response.status_code in (302, 403, 404):
                    continue
                if response.status_code != 200:
                    problems.append(f"{what}: {response.status_code}")
                    continue
                ids = {str(r["id"]) for r in response.json()["results"]}
                shown = ids & {str(pk) for pk in foreign}
                if shown:
                    problems.append(f"{what}: offers foreign rows {sorted(shown)[:5]}")
            # One field per source model is enough: the answer is the target admin's queryset.
            break
    return problems


def _snapshot(scenario: Scenario) -> dict:
    rows = {}
    for model, pks in scenario.foreign.items():
        for obj in model._base_manager.filter(pk__in=pks):
            rows[(model, obj.pk)] = model_to_dict(obj)
    return {"rows": rows, "events": AuditEvent.objects.count(), "emails": OutgoingEmail.objects.count()}


def check_actions(site: AdminSite, model, model_admin, scenario: Scenario) -> list[str]:
    foreign = sorted(scenario.foreign_of(model))
    if not foreign:
        return []
    actions = model_admin.get_actions(_request(scenario.attacker))
    problems = []
    for name in actions:
        with transaction.atomic():
            before = _snapshot(scenario)
            response = scenario.client.post(_admin_url(model, "changelist"), {
                "action": name, ACTION_CHECKBOX_NAME: [str(pk) for pk in foreign], "index": 0,
                # Actions with a second page: as if its form were filled in and applied.
                "post": "yes", "apply": "1",
            })
            after = _snapshot(scenario)
            transaction.set_rollback(True)
        what = f"{model._meta.label} action {name}"
        problems += _page_problems(what, response, scenario)
        if before != after:
            problems.append(f"{what}: acted on foreign rows")
    return problems


def _forms_of(model_admin, request, obj):
    form = model_admin.get_form(request, obj, change=obj is not None)()
    yield "form", form
    for formset, inline in model_admin.get_formsets_with_inlines(request, obj):
        yield f"inline {type(inline).__name__}", formset(instance=obj).empty_form


def check_form_fields(site: AdminSite, model, model_admin, scenario: Scenario) -> list[str]:
    """Every FK and M2M field of the add and change forms, and of their inlines,
    refuses a foreign id (what a hand-made POST would send)."""
    request = _request(scenario.attacker)
    pages: list[Any] = []
    if model_admin.has_add_permission(request):
        pages.append(None)
    own = model_admin.get_queryset(request).exclude(pk__in=scenario.foreign_of(model)).first()
    if own is not None and model_admin.has_change_permission(request, own):
        pages.append(own)
    problems = []
    for obj in pages:
        for where, form in _forms_of(model_admin, request, obj):
            for name, form_field in form.fields.items():
                # An inline form's own id: the formset looks it up among the parent's rows only.
                if where != "form" and name == form._meta.model._meta.pk.name:
                    continue
                if not isinstance(form_field, ModelChoiceField):
                    continue
                target = form_field.queryset.model  # type: ignore[union-attr]
                foreign = sorted(scenario.foreign_of(target))
                what = f"{model._meta.label} {'change' if obj else 'add'} {where} field {name}"
                if not foreign:
                    problems.append(f"{what}: the scenario has no foreign {target._meta.label}; add one")
                    continue
                value = [str(foreign[0])] if isinstance(form_field, ModelMultipleChoiceField) else str(foreign[0])
                try:
                    form_field.clean(value)
                except ValidationError:
                    continue
                problems.append(f"{what}: accepts foreign {target._meta.label} {foreign[0]}")
    return problems


class _FormReader(HTMLParser):
    """What a browser would post from the admin's change form: its inputs,
    selects and text areas as rendered."""

    def __init__(self):
        super().__init__()
        self.data: list[tuple[str, str]] = []
        # Every field on the page, posted or not (an empty select posts nothing).
        self.names: set[str] = set()
        self._select: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if name and tag in ("input", "select", "textarea"):
            self.names.add(name)
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file", "image"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.append((name, a.get("value") or ("on" if a.get("type") == "checkbox" else "")))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.data.append((self._select, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.data.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text += data


def _posted(data: list[tuple[str, str]], name: str, value: str) -> dict[str, list[str]]:
    post: dict[str, list[str]] = {}
    for key, v in data:
        post.setdefault(key, []).append(v)
    post[name] = [value]
    return post


def check_change_form_posts(site: AdminSite, model, model_admin, scenario: Scenario) -> list[str]:
    """The change form of one of the adviser's own rows, posted as rendered but
    with one foreign-key or many-to-many field (its inlines' too) set to a
    foreign id: refused, nothing saved."""
    request = _request(scenario.attacker)
    own = model_admin.get_queryset(request).exclude(pk__in=scenario.foreign_of(model)).first()
    if own is None or not model_admin.has_change_permission(request, own):
        return []
    url = _admin_url(model, "change", own.pk)
    page = _get(scenario.client, url)
    if page.status_code != 200 or "adminform" not in page.context:
        return [f"{model._meta.label} change page of own row {own.pk}: {page.status_code}"]
    fields = dict(page.context["adminform"].form.fields.items())
    for formset in page.context.get("inline_admin_formsets", []):
        empty = formset.formset.empty_form
        for index in range(formset.formset.total_form_count()):
            for name, f in empty.fields.items():
                if name != empty._meta.model._meta.pk.name:
                    fields[f"{formset.formset.prefix}-{index}-{name}"] = f
    reader = _FormReader()
    reader.feed(page.content.decode())
    with transaction.atomic():
        response = scenario.client.post(url, _posted(reader.data, "_save", ""))
        transaction.set_rollback(True)
    if response.status_code != 302:
        # Else a refusal below would prove nothing.
        errors = response.context and response.context.get("errors")
        return [f"{model._meta.label} change form posted as rendered is refused: {response.status_code} {errors}"]
    problems = []
    for name, form_field in fields.items():
        if not isinstance(form_field, ModelChoiceField) or name not in reader.names:
            continue
        foreign = sorted(scenario.foreign_of(form_field.queryset.model))  # type: ignore[union-attr]
        if not foreign:
            continue
        with transaction.atomic():
            before = _snapshot(scenario), model._base_manager.count()
            own_before = model_to_dict(model._base_manager.get(pk=own.pk))
            response = scenario.client.post(url, _posted(reader.data, name, str(foreign[0])))
            after = _snapshot(scenario), model._base_manager.count()
            own_after = model_to_dict(model._base_manager.get(pk=own.pk))
            transaction.set_rollback(True)
        what = f"{model._meta.label} change form posted with foreign {form_field.queryset.model._meta.label} in {name}"  # type: ignore[union-attr]
        if response.status_code != 200 or before != after or own_before != own_after:
            problems.append(f"{what}: {response.status_code}, {'saved' if own_before != own_after else 'refused'}")
    return problems


CHECKS = (check_lists, check_object_pages, check_autocomplete, check_actions, check_form_fields,
          check_change_form_posts)


def walk(site: AdminSite, scenario: Scenario, labels: list[str] | None = None) -> list[str]:
    problems = []
    for model, model_admin in site._registry.items():
        if labels is not None and model._meta.label_lower not in labels:
            continue
        for check in CHECKS:
            problems += check(site, model, model_admin, scenario)
    return problems


# --------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------

ADMIN_LABELS = sorted(model._meta.label_lower for model in admin.site._registry)


def test_it_builds_foreign_rows_of_every_admin_model(scenario):
    """The walk proves nothing about a model with no foreign row to look for."""
    missing = [label for label in ADMIN_LABELS if not scenario.foreign_of(apps.get_model(label))
               # Superuser-only tables of other packages: there is nothing of an LA to put in them.
               and label.split(".")[0] not in {"auth", "otp_totp", "axes"}]
    assert not missing, f"No foreign row of {missing}: add one to build_la"


@pytest.mark.parametrize("label", ADMIN_LABELS)
def test_it_shows_an_adviser_nothing_of_another_la_in_the_admin(scenario, label):
    problems = walk(admin.site, scenario, [label])
    assert not problems, "\n".join(problems)


# --- the walker flags an admin registered without scoping ---

unscoped_site = AdminSite(name="admin")


class UnscopedSchoolAdmin(admin.ModelAdmin):
    search_fields = ("name",)


class UnscopedSupportNeedAdmin(admin.ModelAdmin):
    search_fields = ("client_school__name",)
    fields = ("client_school", "client_head_name", "reasons", "days_per_week", "notes")

    def get_queryset(self, request):
        # Scoped lists, so that only the form is left open.
        return super().get_queryset(request).filter(client_school__local_authority__name="Norfolk")


unscoped_site.register(School, UnscopedSchoolAdmin)
unscoped_site.register(SupportNeed, UnscopedSupportNeedAdmin)


def _unscoped_urls():
    from lle_portal import urls

    return [path("admin/", unscoped_site.urls), *(p for p in urls.urlpatterns if str(p.pattern) != "admin/")]


urlpatterns: list[Any] = []


def test_it_flags_an_admin_registered_without_scoping(scenario, settings):
    urlpatterns[:] = _unscoped_urls()
    settings.ROOT_URLCONF = __name__
    clear_url_caches()
    try:
        problems = walk(unscoped_site, scenario)
    finally:
        clear_url_caches()
    text = "\n".join(problems)
    assert "lle_portal.School list : lists foreign rows" in text
    assert f"lle_portal.School list {{'q': '{MARKER}'}}: lists foreign rows" in text
    assert "lle_portal.School change page of foreign row" in text
    assert "autocomplete of deployments.SupportNeed.client_school → lle_portal.School" in text
    assert "deployments.SupportNeed add form field client_school: accepts foreign lle_portal.School" in text
    assert "deployments.SupportNeed change form posted with foreign lle_portal.School in client_school: 302" in text


# --------------------------------------------------------------------------
# The attacks seen on the demo, as posts
# --------------------------------------------------------------------------


def _post_rolled_back(client: Client, url: str, data: dict):
    with transaction.atomic():
        response = client.post(url, data)
        saved = SupportNeed.objects.filter(client_school__name__startswith=MARKER).count()
        attendances = NetworkMeetingAttendance.objects.filter(
            meeting__local_authority__name="Norfolk", lle__school__local_authority__name__startswith=MARKER
        ).count()
        transaction.set_rollback(True)
    return response, saved, attendances


def test_it_refuses_a_support_need_for_another_las_school_posted_by_id(scenario):
    url = reverse("admin:deployments_supportneed_add")
    data = {"client_head_name": "Someone", "reasons": ["peer_challenge"], "focus_areas": ["leadership"],
            "days_per_week": "1.0", "notes": ""}
    own = School.objects.get(name="Norfolk Academy")
    response, _, _ = _post_rolled_back(scenario.client, url, {**data, "client_school": own.pk})
    assert response.status_code == 302, "the same form for the adviser's own school is saved"

    foreign = School.objects.get(name=f"{MARKER} Academy")
    before = SupportNeed.objects.filter(client_school__name__startswith=MARKER).count()
    response, saved, _ = _post_rolled_back(scenario.client, url, {**data, "client_school": foreign.pk})
    assert response.status_code == 200
    assert "client_school" in response.context["adminform"].form.errors
    assert saved == before


def test_it_offers_and_accepts_only_the_advisers_own_lles_at_a_network_meeting(scenario):
    meeting = NetworkMeeting.objects.get(title="Norfolk network meeting")
    response = _get(scenario.client, reverse("admin:deployments_networkmeeting_change", args=[meeting.pk]))
    assert response.status_code == 200
    assert f"{MARKER} Leader" not in response.content.decode()
    foreign_lle = NetworkMeetingAttendance.objects.get(meeting__title=f"{MARKER} network meeting").lle
    own = meeting.attendance.get()
    response, _, attendances = _post_rolled_back(
        scenario.client, reverse("admin:deployments_networkmeeting_change", args=[meeting.pk]), {
            "local_authority": meeting.local_authority_id, "held_on": "2026-11-01", "title": meeting.title,
            "location": "", "notes": "",
            "attendance-TOTAL_FORMS": "2", "attendance-INITIAL_FORMS": "1", "attendance-MIN_NUM_FORMS": "0",
            "attendance-MAX_NUM_FORMS": "1000",
            "attendance-0-id": own.pk, "attendance-0-meeting": meeting.pk, "attendance-0-lle": own.lle_id,
            "attendance-0-status": own.status,
            "attendance-1-meeting": meeting.pk, "attendance-1-lle": foreign_lle.pk,
            "attendance-1-status": own.status,
        })
    assert response.status_code == 200
    assert attendances == 0


# --------------------------------------------------------------------------
# Field history
# --------------------------------------------------------------------------


def test_it_never_keeps_a_sponsors_draft_or_decline_reason_in_the_field_history(scenario):
    entries = LogEntry.objects.get_for_model(LinkRequest)
    assert entries.exists()
    for entry in entries:
        assert MARKER not in str(entry.changes), entry.changes
        assert not {"draft", "answers", "decline_reason"} & set(entry.changes_dict)


def _superuser_client() -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.create(email="root@example.org", full_name="Site Owner", role=User.Role.ADVISER,
                                           is_staff=True, is_superuser=True))
    return client


def test_it_searches_the_field_history_without_an_error(scenario):
    # The field history is an internal table (lle_portal/admin_groups.py): a superuser's.
    client = _superuser_client()
    for term in ("Norfolk", "2026", "status"):
        response = _get(client, reverse("admin:auditlog_logentry_changelist"), {"q": term})
        assert response.status_code == 200, term


def test_the_field_history_and_sent_email_are_internal_tables_refused_to_the_adviser(scenario):
    for name in ("admin:auditlog_logentry_changelist", "admin:lle_portal_outgoingemail_changelist"):
        assert _get(scenario.client, reverse(name), {"q": "Norfolk Client Primary"}).status_code == 403, name
    response = _get(_superuser_client(), reverse("admin:auditlog_logentry_changelist"),
                    {"q": "Norfolk Client Primary"})
    assert response.status_code == 200 and _listed_pks(response)


def test_it_still_lists_the_audit_events_of_the_advisers_own_la(scenario):
    response = _get(scenario.client, reverse("admin:lle_portal_auditevent_changelist"))
    assert response.status_code == 200
    assert _listed_pks(response), "the audit trail lists the adviser's own LA's rows"



def test_it_removes_sponsors_drafts_already_in_the_field_history(scenario):
    from importlib import import_module

    from django.apps import apps as global_apps
    from django.contrib.contenttypes.models import ContentType

    migration = import_module("applications.migrations.0006_history_without_reference_drafts")
    link_request = LinkRequest.objects.filter(application__round__name=f"{MARKER} round").first()
    with transaction.atomic():
        entry = LogEntry.objects.create(
            content_type=ContentType.objects.get_for_model(LinkRequest), object_pk=str(link_request.pk),
            object_id=link_request.pk, object_repr=str(link_request), action=LogEntry.Action.UPDATE,
            changes={"draft": ["{}", "{'safeguarding_details': 'x'}"], "decline_reason": ["", "why"],
                     "status": ["requested", "declined"]},
        )
        migration.forget_private_fields(global_apps, None)
        entry.refresh_from_db()
        transaction.set_rollback(True)
    assert entry.changes == {"status": ["requested", "declined"]}



# (The field history and sent email are superuser-only, unscoped: lle_portal/admin_groups.py.)
@pytest.mark.parametrize("name", ["lle_portal_auditevent"])
def test_it_lists_the_records_scoped_in_a_fixed_number_of_queries(scenario, name, django_assert_max_num_queries):
    # One filter however many models have rules: each is a subquery of the same statement.
    # Counted once the process's caches (content types, the session) are warm, as in a served page.
    # A fresh sign-in: the walk's requests are rolled back, so after a minute of them every
    # request would re-stamp the staff session (lle_portal.middleware), a query a served page
    # makes once a minute, not on every page.
    scenario.client.force_login(scenario.attacker)
    _get(scenario.client, reverse(f"admin:{name}_changelist"))
    with django_assert_max_num_queries(15):
        response = _get(scenario.client, reverse(f"admin:{name}_changelist"))
    assert response.status_code == 200


# Models of the portal with no LA rule, on purpose: only a superuser sees their
# rows (and what is about them). A new model must be given a rule
# (lle_portal/scoping.py, an app's scopes.py) or a line here saying why not.
NO_LA_RULE = {
    "lle_portal.auditevent": "scoped by what each event is about",
    "lle_portal.outgoingemail": "scoped by what each email is about",
    "lle_portal.report": "about any LA; reached from the page that asked for it",
    "lle_portal.importjob": "ImportJobAdmin.scope: the uploader's and LA colleagues' jobs; national ones a superuser's",
    "lle_portal.emailchange": "a person's own request to change their address; erased with them, never browsed",
    "impact.surveyinvitation": "who answered a survey is nobody's to read row by row",
    "impact.surveyreminder": "who was reminded says who has not answered",
    "impact.answer": "answers are anonymous",
}


def test_it_decides_for_every_model_of_the_portal_who_sees_it():
    from lle_portal import scoping

    undecided = [
        model._meta.label_lower for model in apps.get_models()
        if model._meta.app_label in {"lle_portal", "applications", "deployments", "impact"}
        and not scoping.is_registered(model) and model._meta.label_lower not in NO_LA_RULE
    ]
    assert not undecided, f"Give {undecided} a rule in lle_portal/scoping.py or a scopes.py, or a NO_LA_RULE line"
    assert not [label for label in NO_LA_RULE if scoping.is_registered(apps.get_model(label))]
