"""Personal data: export everything held about a person, and erase it once it
has been kept long enough.

A person is found by email address: an account holder, or someone with no
account whom the programme wrote to (a sponsor, a chair of governors, a
colleague who delivers days). Each app registers a provider in its
AppConfig.ready (`privacy.register(...)`), so the core never imports the apps;
the core's own provider covers accounts, invitations, emails, the audit trail,
django-auditlog's field history, the admin's log, and the sign-in records of
django-axes and django-otp.

Erasure keeps the programme's statistics: rows stay, with names, email
addresses and identifying free text replaced by a pseudonym ("Erased person
#12", erased-12@erased.invalid, the number being that of the erasure's audit
event). It is allowed once PERSONAL_DATA_RETENTION_DAYS have passed since the
person's last activity (each provider says what that is), earlier only when
forced. Rows are changed with `QuerySet.update()`, which sends no signals, so
django-auditlog does not copy the old values into a new history entry.

A final sweep searches every text column of every table for the email
address and replaces what the providers missed; it reports where, so a
missing provider shows up (the tests assert the sweep finds nothing).
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Cast
from django.utils import timezone

from . import services
from .audit import audit_record
from .errors import DomainError
from .models import AuditEvent, EmailChange, Invitation, OutgoingEmail, User

# Six years after the last activity (the limitation period for most claims).
DEFAULT_RETENTION_DAYS = 6 * 365
ERASED = "[erased]"
# Never exported: secrets, not personal data.
SECRET_FIELDS = frozenset({"password", "token_hash", "nonce", "key", "secret", "session_key"})
# Keys of AuditEvent.data that hold what someone typed (a reason, a note).
FREE_TEXT_EVENT_KEYS = frozenset({"reason", "note", "answering", "comment", "comments"})


class PrivacyError(DomainError):
    """An export or erasure that cannot be done; the message says why."""


class ErasureRefused(PrivacyError):
    """The retention period has not passed (and the erasure was not forced)."""


def retention_days() -> int:
    return int(getattr(settings, "PERSONAL_DATA_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


# --------------------------------------------------------------------------
# The person, their activity, and the erasure in progress
# --------------------------------------------------------------------------


@dataclass
class Person:
    email: str  # lower case
    user: User | None
    # A subject-access export (may_see_survey_answers): only then do providers
    # include what the person answered in anonymous surveys.
    subject_access: bool = False

    @property
    def names(self) -> set[str]:
        return {self.user.full_name} if self.user and self.user.full_name else set()


@dataclass(frozen=True)
class Activity:
    """Something the person did or that keeps their data in use. `ongoing`:
    still going on (an open application, a live deployment): never erasable."""

    when: datetime
    what: str
    ongoing: bool = False


def ongoing(what: str) -> Activity:
    return Activity(when=timezone.now(), what=what, ongoing=True)


def activities_of(pairs: Iterable[tuple[datetime | None, str]]) -> list[Activity]:
    return [Activity(when=when, what=what) for when, what in pairs if when]


def as_datetime(day) -> datetime | None:
    """A date as the end of that day, in the site's time zone."""
    if day is None or isinstance(day, datetime):
        return day
    return timezone.make_aware(datetime.combine(day, datetime.max.time()))


@dataclass
class Erasure:
    """What an erasure replaces, and with what; providers record what they touched."""

    number: int
    email: str
    names: set[str]
    touched: dict[type[models.Model], set[str]] = field(default_factory=lambda: defaultdict(set))
    erased_fields: dict[type[models.Model], set[str]] = field(default_factory=lambda: defaultdict(set))
    counts: Counter = field(default_factory=Counter)

    @property
    def pseudonym(self) -> str:
        return f"Erased person #{self.number}"

    @property
    def pseudonym_email(self) -> str:
        return f"erased-{self.number}@erased.invalid"

    @property
    def needles(self) -> list[tuple[re.Pattern, str]]:
        """What to look for in free text, longest first, and what replaces it."""
        found = [(self.email, self.pseudonym_email)]
        found += [(name, self.pseudonym) for name in self.names if len(name.strip()) >= 3]
        found.sort(key=lambda pair: -len(pair[0]))
        # Whole words only: "Ann Lee" is not erased from "Joann Leeds".
        return [(re.compile(rf"(?<!\w){re.escape(text.strip())}(?!\w)", re.IGNORECASE), new) for text, new in found]

    def scrub(self, value: Any) -> Any:
        """`value` (text, or JSON) with the person's email and names replaced."""
        if isinstance(value, str):
            for pattern, new in self.needles:
                value = pattern.sub(new, value)
            return value
        if isinstance(value, list):
            return [self.scrub(item) for item in value]
        if isinstance(value, dict):
            return {key: self.scrub(item) for key, item in value.items()}
        return value

    def mentions(self, fields: Iterable[str]) -> Q:
        """Rows whose `fields` mention the person (a pre-filter; scrub() decides)."""
        q = Q()
        for text in [self.email, *self.names]:
            if len(text.strip()) >= 3:
                for name in fields:
                    q |= Q(**{f"{name}__icontains": text.strip()})
        return q

    def touch(self, queryset: models.QuerySet, erased_fields: Iterable[str] = ()) -> None:
        """Record rows that hold the person's data (their audit history is
        redacted too) and the fields whose every value was erased."""
        model = queryset.model
        self.touched[model].update(str(pk) for pk in queryset.values_list("pk", flat=True))
        self.erased_fields[model].update(erased_fields)

    def scrub_rows(self, queryset: models.QuerySet, fields: Iterable[str], label: str = "") -> int:
        """Replace the person's email and names in `fields` of the rows of `queryset`."""
        fields = list(fields)
        changed = 0
        for row in queryset.filter(self.mentions(fields)).values("pk", *fields):
            new = {name: self.scrub(row[name]) for name in fields if self.scrub(row[name]) != row[name]}
            if new:
                queryset.model._default_manager.filter(pk=row["pk"]).update(**new)
                changed += 1
        if changed:
            self.counts[label or queryset.model._meta.label] += changed
        return changed

    def replace(self, queryset: models.QuerySet, label: str = "", **values: Any) -> int:
        """Update the rows with `values`; counted under `label`."""
        changed = queryset.update(**values)
        if changed:
            self.counts[label or queryset.model._meta.label] += changed
        return changed


def erase_text(value: str) -> str:
    return ERASED if value else value


# --------------------------------------------------------------------------
# Providers and the registry
# --------------------------------------------------------------------------


class Provider:
    """What an app holds about a person. Subclass and register in AppConfig.ready."""

    #: The section of the export.
    label = ""
    #: Templates of emails to the person that only a subject-access export
    #: holds (a survey reminder goes only to those who have not answered).
    subject_access_emails: frozenset[str] = frozenset()

    def names(self, person: Person) -> set[str]:
        """Other names the person is known by here (a sponsor's name on a nomination)."""
        return set()

    def export(self, person: Person) -> dict[str, Any]:
        raise NotImplementedError

    def activity(self, person: Person) -> list[Activity]:
        return []

    def erase(self, person: Person, erasure: Erasure) -> None:
        raise NotImplementedError


_providers: dict[str, Provider] = {}


def register(provider: Provider) -> None:
    """Register an app's provider (idempotent: ready() may run twice in tests)."""
    _providers[provider.label] = provider


def registered() -> list[Provider]:
    return list(_providers.values())


def rows(queryset: models.QuerySet, *, exclude: Iterable[str] = (), extra: dict[str, str] | None = None) -> list[dict]:
    """The rows as plain dicts of their own columns (foreign keys as ids), for
    an export. `extra` adds values through relations: {"school": "school__name"}."""
    model = queryset.model
    skip = SECRET_FIELDS | set(exclude)
    names = [f.attname for f in model._meta.concrete_fields if f.name not in skip and f.attname not in skip]
    lookups = {**{name: name for name in names}, **(extra or {})}
    return [{key: row[lookup] for key, lookup in lookups.items()} for row in queryset.values(*lookups.values())]


# --------------------------------------------------------------------------
# The core's provider
# --------------------------------------------------------------------------


# Models of apps that may not be installed: typed Any (their managers are unknown).
def _installed(label: str, model: str) -> type[Any] | None:
    try:
        return apps.get_model(label, model)
    except LookupError:
        return None


def _otp_device_models() -> list[type[Any]]:
    if not apps.is_installed("django_otp"):
        return []
    from django_otp.models import Device

    return [m for m in apps.get_models() if issubclass(m, Device) and not m._meta.abstract]


def _axes_models() -> list[type[Any]]:
    return [m for m in (_installed("axes", name) for name in ("AccessAttempt", "AccessLog", "AccessFailureLog")) if m]


def _auditlog_entry() -> type[Any] | None:
    return _installed("auditlog", "LogEntry")


class CoreProvider(Provider):
    label = "lle_portal"

    def names(self, person: Person) -> set[str]:
        return set(Invitation.objects.filter(email__iexact=person.email).values_list("full_name", flat=True))

    @staticmethod
    def _withheld_emails(person: Person) -> set[str]:
        if person.subject_access:
            return set()
        return {template for provider in providers() for template in provider.subject_access_emails}

    def export(self, person: Person) -> dict[str, Any]:
        user = person.user
        data: dict[str, Any] = {
            "account": rows(User.objects.filter(pk=user.pk), extra={"school": "school__name"})[0] if user else None,
            "local_authorities": list(user.local_authorities.values_list("name", flat=True)) if user else [],
            "invitations": rows(Invitation.objects.filter(email__iexact=person.email)),
            "email_changes": rows(EmailChange.objects.filter(user=user), exclude=("token_hash",)) if user else [],
            "emails_to_them": rows(OutgoingEmail.objects.filter(to__iexact=person.email)
                                   .exclude(template__in=self._withheld_emails(person)).order_by("created_at")),
            "actions_recorded": rows(
                AuditEvent.objects.filter(actor=user).order_by("created_at") if user else AuditEvent.objects.none(),
                exclude=("actor",),
            ),
            "reports_requested": rows(apps.get_model("lle_portal", "Report").objects.filter(requested_by=user))
            if user and _installed("lle_portal", "Report") else [],
        }
        log_entry = _auditlog_entry()
        if log_entry and user:
            data["changes_made_by_them"] = rows(log_entry.objects.filter(actor=user).order_by("timestamp"),
                                                exclude=("actor", "serialized_data"))
        for model in _axes_models():
            data[f"sign_in_records_{model._meta.model_name}"] = rows(
                model.objects.filter(username__iexact=person.email))
        for model in _otp_device_models():
            if user:
                data[f"two_factor_devices_{model._meta.model_name}"] = [
                    {"name": d.name, "confirmed": d.confirmed} for d in model.objects.filter(user=user)]
        return data

    def activity(self, person: Person) -> list[Activity]:
        found: list[tuple[datetime | None, str]] = []
        user = person.user
        if user:
            found += [(user.last_login, "last signed in"), (user.date_joined, "account made")]
            last_action = AuditEvent.objects.filter(actor=user).order_by("-created_at").first()
            if last_action:
                found.append((last_action.created_at, f"last action recorded ({last_action.verb})"))
        for invitation in Invitation.objects.filter(email__iexact=person.email):
            if invitation.state == "pending":
                return [ongoing("an invitation is waiting to be accepted")]
            found.append((invitation.accepted_at or invitation.created_at, "invited"))
        return activities_of(found)

    def erase(self, person: Person, erasure: Erasure) -> None:
        user = person.user
        now = timezone.now()
        if user:
            erasure.replace(User.objects.filter(pk=user.pk), email=erasure.pseudonym_email,
                            full_name=erasure.pseudonym, job_title="", is_active=False,
                            password=make_password(None))
            erasure.touch(User.objects.filter(pk=user.pk), ["email", "full_name", "job_title"])
        invitations = Invitation.objects.filter(email__iexact=person.email)
        erasure.touch(invitations, ["email", "full_name"])
        erasure.replace(invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True), revoked_at=now)
        erasure.replace(invitations, email=erasure.pseudonym_email, full_name=erasure.pseudonym)

        # Emails to them: what was written to them goes; the fact it was sent stays.
        # Their addresses include any they asked to change to (read before those are erased below).
        asked_for = list(EmailChange.objects.filter(user=user).values_list("new_email", flat=True)) if user else []
        to_them = OutgoingEmail.objects.filter(Q(to__iexact=person.email) | Q(to__in=asked_for))
        erasure.touch(to_them, ["to", "body_text", "body_html", "last_error"])
        erasure.replace(to_them, to=erasure.pseudonym_email, body_text=ERASED, body_html=ERASED, last_error="")
        # One still queued must not go out (to nobody, saying "[erased]").
        erasure.replace(OutgoingEmail.objects.unsent().filter(to=erasure.pseudonym_email), failed_at=now,
                        last_error="Not sent: the person's data was erased.")
        erasure.scrub_rows(OutgoingEmail.objects.all(), ["subject", "body_text", "body_html", "last_error"])
        # Their requests to change address, and anyone's request to use theirs.
        email_changes = EmailChange.objects.filter(Q(user=user) if user else Q(pk__in=[]))
        email_changes |= EmailChange.objects.filter(new_email__iexact=person.email)
        erasure.touch(email_changes, ["new_email"])
        erasure.replace(email_changes.filter(confirmed_at__isnull=True, cancelled_at__isnull=True), cancelled_at=now)
        erasure.replace(email_changes, new_email=erasure.pseudonym_email)

        report = _installed("lle_portal", "Report")
        if report is not None:
            erasure.scrub_rows(report.objects.all(), ["title", "error"])

        self._erase_audit_trail(person, erasure)
        self._erase_sign_in_records(person, erasure)

    def _erase_audit_trail(self, person: Person, erasure: Erasure) -> None:
        targets = Q()
        for model, pks in erasure.touched.items():
            if pks:
                targets |= Q(content_type=ContentType.objects.get_for_model(model), object_id__in=pks)
        about = AuditEvent.objects.filter(targets) if targets else AuditEvent.objects.none()
        for event in about.only("pk", "data", "target_repr"):
            data = {key: (erase_text(value) if key in FREE_TEXT_EVENT_KEYS and isinstance(value, str) else value)
                    for key, value in event.data.items()} if isinstance(event.data, dict) else event.data
            data, target_repr = erasure.scrub(data), erasure.scrub(event.target_repr)
            if (data, target_repr) != (event.data, event.target_repr):
                erasure.replace(AuditEvent.objects.filter(pk=event.pk), label="lle_portal.AuditEvent",
                                data=data, target_repr=target_repr)
        self._scrub_json_rows(erasure, AuditEvent.objects.all(), text=["target_repr", "actor_label"], json=["data"],
                              label="lle_portal.AuditEvent")

        log_entry = _auditlog_entry()
        if log_entry is None:
            return
        if person.user:
            erasure.replace(log_entry.objects.filter(actor=person.user), label="auditlog.LogEntry",
                            remote_addr=None, remote_port=None, actor_email=erasure.pseudonym_email)
        entry_targets = Q()
        for model, pks in erasure.touched.items():
            if pks:
                entry_targets |= Q(content_type=ContentType.objects.get_for_model(model), object_pk__in=pks)
        if entry_targets:
            for entry in log_entry.objects.filter(entry_targets).only("pk", "content_type", "changes",
                                                                      "serialized_data"):
                model = entry.content_type.model_class()
                erased = erasure.erased_fields.get(model, set())
                changes = {name: ([ERASED, ERASED] if name in erased else values)
                           for name, values in (entry.changes or {}).items()} if isinstance(entry.changes, dict) \
                    else entry.changes
                serialized = entry.serialized_data
                if isinstance(serialized, dict) and isinstance(serialized.get("fields"), dict):
                    serialized = {**serialized, "fields": {
                        name: (ERASED if name in erased else value) for name, value in serialized["fields"].items()}}
                if (changes, serialized) != (entry.changes, entry.serialized_data):
                    erasure.replace(log_entry.objects.filter(pk=entry.pk), label="auditlog.LogEntry",
                                    changes=changes, serialized_data=serialized)
        self._scrub_json_rows(erasure, log_entry.objects.all(),
                              text=["object_repr", "changes_text", "actor_email"],
                              json=["changes", "serialized_data", "additional_data"], label="auditlog.LogEntry")

        admin_log = _installed("admin", "LogEntry")
        if admin_log is not None:
            erasure.scrub_rows(admin_log.objects.all(), ["object_repr", "change_message"], label="admin.LogEntry")

    @staticmethod
    def _scrub_json_rows(erasure: Erasure, queryset: models.QuerySet, *, text: list[str], json: list[str],
                         label: str) -> None:
        """scrub_rows for models with JSON columns: they are searched as text."""
        annotated = queryset.annotate(**{f"{name}_as_text": Cast(name, models.TextField()) for name in json})
        candidates = annotated.filter(erasure.mentions([*text, *(f"{name}_as_text" for name in json)]))
        for row in candidates.values("pk", *text, *json):
            new = {name: erasure.scrub(row[name]) for name in [*text, *json]}
            new = {name: value for name, value in new.items() if value != row[name]}
            if new:
                erasure.replace(queryset.model._default_manager.filter(pk=row["pk"]), label=label, **new)

    def _erase_sign_in_records(self, person: Person, erasure: Erasure) -> None:
        for model in _axes_models():
            deleted, _ = model.objects.filter(username__iexact=person.email).delete()
            erasure.counts[model._meta.label] += deleted
        if person.user:
            for model in _otp_device_models():
                deleted, _ = model.objects.filter(user=person.user).delete()
                erasure.counts[model._meta.label] += deleted


_core = CoreProvider()


def providers() -> list[Provider]:
    """Every provider: the apps' in the order they registered, the core's last."""
    return [*registered(), _core]


# --------------------------------------------------------------------------
# The sweep: every text column of every table
# --------------------------------------------------------------------------

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def text_columns() -> list[tuple[type[models.Model], list[models.Field]]]:
    """Every model with a table of its own, and its text and JSON columns."""
    found: list[tuple[type[models.Model], list[models.Field]]] = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        columns: list[models.Field] = [f for f in model._meta.concrete_fields if isinstance(f, TEXT_FIELDS)]
        if columns:
            found.append((model, columns))
    return found


def _sweep(erasure: Erasure) -> dict[str, int]:
    """Replace the email address wherever the providers left it; say where."""
    left: dict[str, int] = {}
    for model, columns in text_columns():
        names = [f.name for f in columns]
        json_names = [f.name for f in columns if isinstance(f, models.JSONField)]
        annotations = {f"_c_{name}": Cast(name, models.TextField()) for name in names}
        q = Q()
        for alias in annotations:
            q |= Q(**{f"{alias}__icontains": erasure.email})
        manager = model._default_manager
        for row in manager.annotate(**annotations).filter(q).values("pk", *names):
            only_email = Erasure(number=erasure.number, email=erasure.email, names=set())
            new = {name: only_email.scrub(row[name]) for name in names}
            new = {name: value for name, value in new.items() if value != row[name]}
            # A JSON column can hold the address in a key, or escaped: rewrite its text.
            for name in json_names:
                text = json.dumps(row[name], cls=DjangoJSONEncoder)
                if erasure.email in text.lower() and name not in new:
                    new[name] = json.loads(only_email.scrub(text))
            if new:
                manager.filter(pk=row["pk"]).update(**new)
                left[model._meta.db_table] = left.get(model._meta.db_table, 0) + 1
    return left


# --------------------------------------------------------------------------
# The services: find, export, check, erase
# --------------------------------------------------------------------------


def person_find(email: str) -> Person:
    email = (email or "").strip().lower()
    if not email or "@" not in email:
        raise PrivacyError("Give the person's email address.")
    return Person(email=email, user=User.objects.filter(email__iexact=email).first())


@dataclass(frozen=True)
class Retention:
    last_activity: Activity | None
    erasable_from: datetime | None

    @property
    def erasable(self) -> bool:
        return self.erasable_from is not None and self.erasable_from <= timezone.now()

    @property
    def explanation(self) -> str:
        if self.last_activity is None:
            return "Nothing is held about this person."
        if self.last_activity.ongoing:
            return (f"Their data is still in use: {self.last_activity.what}. It can be erased "
                    f"{retention_days()} days after that has ended.")
        return (f"Their last activity was on {timezone.localtime(self.last_activity.when):%-d %B %Y} "
                f"({self.last_activity.what}); personal data is kept for {retention_days()} days after it, "
                f"until {timezone.localtime(self.erasable_from):%-d %B %Y}.")


def person_retention(person: Person) -> Retention:
    """When the person's data may be erased: their latest activity across every app, plus the retention period."""
    found = [activity for provider in providers() for activity in provider.activity(person)]
    if not found:
        return Retention(last_activity=None, erasable_from=None)
    last = max(found, key=lambda a: (a.ongoing, a.when))
    if last.ongoing:
        return Retention(last_activity=last, erasable_from=None)
    return Retention(last_activity=last, erasable_from=last.when + timedelta(days=retention_days()))


def may_see_survey_answers(by: User | None) -> bool:
    """Whether an export run by `by` may hold the person's survey answers: a
    subject-access request, run by a superuser, or with no person at all (the
    `export_personal_data` command, whose operator holds the database anyway).
    An adviser never: surveys are anonymous, and an adviser's export would say
    what one head thought of the adviser's own programme (issue 11)."""
    return by is None or (by.is_active and by.is_superuser)


def may_handle(*, user: User | None, by: User | None) -> bool:
    """May `by` export or erase `user`'s personal data? An adviser only for the
    heads and governors of their LAs' schools whom they manage
    (services.user_may_manage): never a superuser's, another adviser's or an
    assessor's, whose records span other LAs. A superuser, or the command line
    (`by` None), anyone's."""
    if by is None or (by.is_active and by.is_superuser):
        return True
    return (user is not None and user.school_id is not None and services.user_may_manage(person=user, by=by)
            and by.advises(user.school.local_authority_id))  # type: ignore[union-attr]  # school_id is not None


def _ensure_may_handle(person: Person, by: User | None) -> None:
    if not may_handle(user=person.user, by=by):
        raise PermissionDenied("Only a superuser can export or erase this person's data: it reaches beyond "
                               "your local authorities.")


def person_export(*, email: str, by: User | None = None, actor_label: str = "") -> dict[str, Any]:
    """Everything held about the person, as JSON-ready data; the export is audited.
    Survey answers only when may_see_survey_answers(by), whoever calls this.
    Raises PermissionDenied for someone `by` may not manage."""
    person = person_find(email)
    _ensure_may_handle(person, by)
    person.subject_access = may_see_survey_answers(by)
    retention = person_retention(person)
    data: dict[str, Any] = {
        "email": person.email,
        "exported_at": timezone.now(),
        "retention": {
            "last_activity": retention.last_activity.when if retention.last_activity else None,
            "last_activity_was": retention.last_activity.what if retention.last_activity else "",
            "erasable_from": retention.erasable_from,
            "explanation": retention.explanation,
        },
    }
    for provider in providers():
        data[provider.label] = provider.export(person)
    audit_record(verb="privacy.exported", target=person.user, actor=by, actor_label=actor_label,
                 data={"email": person.email})
    # Dates, decimals and UUIDs as JSON writes them.
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


@dataclass
class ErasureResult:
    pseudonym: str
    counts: dict[str, int]
    # Tables where the final sweep still found the email: a provider is missing.
    swept: dict[str, int]
    dry_run: bool
    forced: bool


@transaction.atomic
def person_erase(*, email: str, by: User | None = None, actor_label: str = "", force: bool = False,
                 dry_run: bool = False) -> ErasureResult:
    """Erase or pseudonymise everything held about the person, keeping the
    programme's records and statistics. Refused before the retention period
    has passed unless `force`. A dry run does it all and rolls it back."""
    person = person_find(email)
    retention = person_retention(person)
    if retention.last_activity is None:
        raise PrivacyError("Nothing is held about this email address.")
    if person.user and by is not None and person.user.pk == by.pk:
        raise PrivacyError("You cannot erase your own account.")
    _ensure_may_handle(person, by)
    if not retention.erasable and not force:
        raise ErasureRefused(f"Not erased: {retention.explanation}")
    names = set(person.names)
    for provider in providers():
        names |= {name for name in provider.names(person) if name}
    # The audit event's number names the pseudonym; the event holds no email.
    event = audit_record(verb="privacy.erased", target=person.user, actor=by, actor_label=actor_label)
    erasure = Erasure(number=event.pk, email=person.email, names=names)
    for provider in [*reversed(registered()), _core]:
        provider.erase(person, erasure)
    swept = _sweep(erasure)
    counts = dict(sorted(erasure.counts.items()))
    AuditEvent.objects.filter(pk=event.pk).update(
        target_repr=erasure.pseudonym,
        data={"pseudonym": erasure.pseudonym, "forced": force and not retention.erasable, "rows": counts,
              "swept": swept},
    )
    if dry_run:
        transaction.set_rollback(True)
    return ErasureResult(pseudonym=erasure.pseudonym, counts=counts, swept=swept, dry_run=dry_run,
                         forced=force and not retention.erasable)
