"""Admin for school data: local authorities, schools, inspections, results,
and the import page where the adviser uploads official data files.

Advisers work here by their role (User.has_perm) and see the schools of their
own local authorities, and England's published averages; a superuser sees
everything (lle_portal/admin_scope.py, rules in lle_portal/scoping.py).

Result tables reach 100,000 rows: their lists never count the whole table
(show_full_result_count), fetch the school with the row (list_select_related)
and filter by measure from the registry rather than a DISTINCT query.
"""

from __future__ import annotations

import os

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.widgets import AutocompleteMixin
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from . import admin_groups, admin_scope, models
from .access import AuthenticatedHttpRequest
from .files import validate_upload_size
from .import_tasks import run_import_job
from .imports.measures import MEASURES, measure_label

# Where each table sits in the admin's task groups (lle_portal/admin_groups.py).
admin_groups.place(models.School, "school_data", 10)
admin_groups.place(models.Inspection, "school_data", 20)
admin_groups.place(models.SchoolResult, "school_data", 30)
admin_groups.place(models.AreaResult, "school_data", 40, name="Local authority and England averages")
admin_groups.place(models.ImportJob, "school_data", 50, name="Imports of official data files")
admin_groups.place(models.LocalAuthority, "school_data", 60)

# --------------------------------------------------------------------------
# Access and helpers
# --------------------------------------------------------------------------

_autocomplete_optgroups = AutocompleteMixin.optgroups


def _optgroups_of_valid_ids(self, name, value, attr=None):
    """Django's autocomplete widget (autocomplete_fields, in every app's admin)
    looks the posted ids up to show them again beside the form's errors; an id
    that is not a number made that query fail, a 500 on a hand-made post. The
    field has already refused such an id, so it is shown as not chosen."""
    opts = self.field.remote_field.model._meta
    to_field = opts.get_field(getattr(self.field.remote_field, "field_name", None) or opts.pk.name)
    valid = []
    for posted in value:
        try:
            to_field.to_python(posted)
        except ValidationError:
            continue
        valid.append(posted)
    return _autocomplete_optgroups(self, name, valid, attr)


AutocompleteMixin.optgroups = _optgroups_of_valid_ids  # type: ignore[method-assign]


# The one scoping mechanism of the whole admin (lle_portal/admin_scope.py),
# imported from here by the other apps' admins.
ScopedToOwnLAs = admin_scope.ScopedToOwnLAs
ScopedFormFields = admin_scope.ScopedFormFields


class UrnSearchMixin(admin_scope.AdminMixinBase):
    """Search by URN too: a number typed in the search box finds the school
    with that URN. (An "=urn" search field would fail on text such as a name.)"""

    urn_lookup = "urn"

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term.isdigit():
            found |= queryset.filter(**{self.urn_lookup: int(term)})
        return found, may_have_duplicates


class MeasureFilter(admin.SimpleListFilter):
    """Measures from the registry: no DISTINCT over 100,000 rows to list them."""

    title = "measure"
    parameter_name = "measure"

    def lookups(self, request, model_admin):
        return [(name, f"{name} – {m.label}") for name, m in MEASURES.items()]

    def queryset(self, request, queryset):
        return queryset.filter(measure=self.value()) if self.value() else queryset


def result_value(obj: models.ResultBase) -> str:
    if obj.value is not None:
        return f"{obj.value.normalize():f}"
    return obj.marker or "(empty)"


# --------------------------------------------------------------------------
# Local authorities and schools
# --------------------------------------------------------------------------


@admin.register(models.LocalAuthority)
class LocalAuthorityAdmin(ScopedToOwnLAs, admin.ModelAdmin):
    list_display = ("name", "code", "school_count")
    search_fields = ("name", "code")
    ordering = ("name",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(school_count=Count("schools"))

    @admin.display(description="schools", ordering="school_count")
    def school_count(self, obj: models.LocalAuthority) -> int:
        return obj.school_count  # type: ignore[attr-defined]  # annotated by get_queryset

    def has_add_permission(self, request: HttpRequest) -> bool:
        # An LA is the scope of an adviser's powers: an adviser's new LA would be one
        # nobody advises (hidden from its maker), or take the code a GIAS import expects.
        return request.user.is_superuser and super().has_add_permission(request)


class InspectionInline(ScopedFormFields, admin.TabularInline):
    model = models.Inspection
    fields = (
        "inspection_date",
        "overall_effectiveness",
        "overall_effectiveness_label",
        "leadership_and_management",
        "category_of_concern",
        "publication_date",
        "source",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        # Inspections come from Ofsted's files; they are not typed in here.
        return False


class SchoolResultInline(ScopedFormFields, admin.TabularInline):
    model = models.SchoolResult
    fields = ("year", "key_stage", "measure", "measure_name", "value", "marker")
    readonly_fields = fields
    ordering = ("-year", "key_stage", "measure")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="measure name")
    def measure_name(self, obj: models.SchoolResult) -> str:
        return measure_label(obj.measure)


@admin.register(models.School)
class SchoolAdmin(ScopedToOwnLAs, UrnSearchMixin, admin.ModelAdmin):
    list_display = ("name", "urn", "local_authority", "phase", "status", "postcode", "head_name", "source")
    # Only the LAs in the list: not every LA's name offered to every adviser.
    list_filter = (("local_authority", admin.RelatedOnlyFieldListFilter), "phase", "status", "source", "is_special")
    list_select_related = ("local_authority",)
    search_fields = ("name", "postcode", "head_name")
    search_help_text = "Name, postcode, headteacher's name, or URN."
    show_full_result_count = False
    autocomplete_fields = ("local_authority",)
    readonly_fields = ("source", "updated_at")
    inlines = (InspectionInline, SchoolResultInline)
    fieldsets = (
        (None, {"fields": ("urn", "name", "local_authority", "establishment_number", "status", "source")}),
        ("Type", {"fields": ("phase", "type_name", "type_group", "is_special", "open_date", "close_date")}),
        ("Address", {"fields": ("street", "town", "postcode", "latitude", "longitude", "website")}),
        ("Leadership and character", {
            "fields": ("head_name", "head_job_title", "trust", "federation", "religious_character", "diocese"),
        }),
        ("Pupils", {"fields": ("number_of_pupils", "percentage_fsm")}),
        ("Record", {"fields": ("updated_at",)}),
    )


@admin.register(models.Inspection)
class InspectionAdmin(ScopedToOwnLAs, UrnSearchMixin, admin.ModelAdmin):
    urn_lookup = "school__urn"
    list_display = (
        "school",
        "inspection_date",
        "overall_effectiveness",
        "overall_effectiveness_label",
        "leadership_and_management",
        "category_of_concern",
        "framework",
        "inspection_type",
        "source",
    )
    list_filter = ("framework", "inspection_type", "overall_effectiveness", "leadership_and_management",
                   "category_of_concern", "safeguarding", "source")
    list_select_related = ("school",)
    search_fields = ("school__name",)
    search_help_text = "School name or URN."
    autocomplete_fields = ("school",)
    show_full_result_count = False


@admin.register(models.SchoolResult)
class SchoolResultAdmin(ScopedToOwnLAs, UrnSearchMixin, admin.ModelAdmin):
    urn_lookup = "school__urn"
    list_display = ("school", "key_stage", "measure", "year", "shown_value")
    list_filter = ("key_stage", MeasureFilter, "year")
    list_select_related = ("school",)
    search_fields = ("school__name",)
    search_help_text = "School name or URN."
    raw_id_fields = ("school",)
    show_full_result_count = False
    # The unique constraint's index gives this order without sorting the table.
    ordering = ("school_id", "key_stage", "measure", "year")

    @admin.display(description="value", ordering="value")
    def shown_value(self, obj: models.SchoolResult) -> str:
        return result_value(obj)


@admin.register(models.AreaResult)
class AreaResultAdmin(ScopedToOwnLAs, admin.ModelAdmin):
    """Their own LAs' averages, and England's to compare with (the rule in lle_portal/scoping.py)."""

    list_display = ("area_code", "local_authority", "key_stage", "measure", "year", "shown_value")
    list_filter = ("key_stage", MeasureFilter, "year")
    list_select_related = ("local_authority",)
    search_fields = ("area_code", "local_authority__name")
    autocomplete_fields = ("local_authority",)
    show_full_result_count = False

    @admin.display(description="value", ordering="value")
    def shown_value(self, obj: models.AreaResult) -> str:
        return result_value(obj)

    # England's rows (no LA) are national: every LA's performance criterion compares
    # with them, so only a superuser (or a national import) changes or deletes them.
    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and obj.local_authority_id is None and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and obj.local_authority_id is None and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        # The bulk "delete selected" action checks has_delete_permission without an object.
        if not request.user.is_superuser:
            queryset = queryset.filter(local_authority__isnull=False)
        super().delete_queryset(request, queryset)


# --------------------------------------------------------------------------
# Imports
# --------------------------------------------------------------------------


class ImportJobForm(forms.ModelForm):
    """The upload form: what kind of file, the file, and (for performance
    tables) the year of the results. Whether the import is national is not
    the uploader's choice: ImportJobAdmin.save_model decides it."""

    file = forms.FileField(
        validators=[
            FileExtensionValidator(["csv"], message="Upload a CSV file (its name ends in .csv)."),
            validate_upload_size,
        ],
        help_text="A CSV file as published by GIAS, Ofsted or the DfE. Columns are found by their names.",
    )

    class Meta:
        model = models.ImportJob
        fields = ("kind", "file", "year")

    def clean_year(self) -> int | None:
        year = self.cleaned_data.get("year")
        if year is not None and not 1990 <= year <= 2100:
            raise forms.ValidationError("Give the year the academic year ends, e.g. 2019 for 2018/19.")
        return year

    def clean(self) -> dict:
        cleaned = super().clean()
        assert cleaned is not None  # a ModelForm's clean returns its cleaned_data
        if cleaned.get("kind") == models.ImportJob.Kind.PERFORMANCE and not cleaned.get("year") and not self.has_error(
            "year"
        ):
            self.add_error(
                "year",
                "Performance tables need the year of the results: the year the academic year ends, "
                "e.g. 2019 for 2018/19.",
            )
        return cleaned


def may_download_import_file(user, job: models.ImportJob) -> bool:
    """The uploaded file itself: its uploader and the superusers only."""
    return user.is_superuser or (job.created_by_id is not None and job.created_by_id == user.pk)


@admin.register(models.ImportJob)
class ImportJobAdmin(ScopedToOwnLAs, admin.ModelAdmin):
    """Upload on the add page; the change page only shows the job's progress
    and outcome (imports cannot be edited).

    A superuser's upload is a national import. An adviser's reaches only the
    schools of their own LAs (lle_portal.imports.base.ImportScope), and the
    jobs an adviser sees are those of the advisers of their LAs."""

    list_display = (
        "__str__",
        "kind",
        "original_name",
        "year",
        "scope_display",
        "status",
        "rows",
        "created_count",
        "updated_count",
        "error_count",
        "created_by",
        "created_at",
    )
    list_filter = ("kind", "status")
    list_select_related = ("created_by",)
    search_fields = ("original_name",)
    # Status, progress and counts are shown above these, in the progress box.
    shown_fields = (
        "kind",
        "original_name",
        "year",
        "scope_display",
        "message",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
    )

    def scope(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> QuerySet:
        user = request.user
        if user.is_superuser:
            return queryset
        # Their own jobs and those of the advisers of their LAs; never a
        # national job, whose bad rows name schools across the country.
        colleagues = models.User.objects.filter(user.in_my_las("local_authorities"))
        return queryset.filter(Q(created_by=user) | Q(created_by__in=colleagues), national=False)

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ImportJobForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return ("kind", "file", "year")
        if may_download_import_file(request.user, obj):
            return (*self.shown_fields, "download")
        return self.shown_fields

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return () if obj is None else (*self.shown_fields, "download")

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # Read-only: an import is a record of what happened.
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # The record of who imported what stays, except for the site's owner.
        return request.user.is_superuser

    @admin.display(description="rows")
    def rows(self, obj: models.ImportJob) -> str:
        return f"{obj.processed_rows:,} of {obj.total_rows:,}"

    @admin.display(description="scope")
    def scope_display(self, obj: models.ImportJob) -> str:
        if obj.national:
            return "National (a superuser's import)"
        return "The schools of the uploader's local authorities"

    @admin.display(description="file")
    def download(self, obj: models.ImportJob) -> str:
        url = reverse("admin:lle_portal_importjob_file", args=[obj.pk])
        return format_html('<a href="{}">Download the uploaded file</a>', url)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/file/",
                self.admin_site.admin_view(self.file_view),
                name="lle_portal_importjob_file",
            ),
            *super().get_urls(),
        ]

    def file_view(self, request: HttpRequest, object_id: str) -> FileResponse:
        """The uploaded file, to its uploader and superusers; anyone else
        (another LA's adviser included) finds no such file."""
        job = self.get_object(request, object_id)
        if job is None or not self.has_view_permission(request, job) or not may_download_import_file(
            request.user, job
        ) or not job.file:
            raise Http404("No such import file.")
        response = FileResponse(
            job.file.open("rb"), as_attachment=True, content_type="text/csv",
            filename=job.original_name or os.path.basename(job.file.name),
        )
        response["Cache-Control"] = "private, no-store"
        return response

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "title": "Import a data file",
            "national_import": request.user.is_superuser,
            "max_upload": settings.LLE_MAX_UPLOAD_BYTES,
        }
        return super().add_view(request, form_url, extra_context)

    def save_model(self, request: AuthenticatedHttpRequest, obj: models.ImportJob, form, change: bool) -> None:  # type: ignore[override]  # the admin's user is signed in
        if not change:
            obj.created_by = request.user
            obj.original_name = os.path.basename(form.cleaned_data["file"].name)[:255]
            # National files are a superuser's job; nothing posted changes that.
            obj.national = request.user.is_superuser
        super().save_model(request, obj, form, change)
        if not change:
            job_id = obj.pk
            # Queued only once the job is committed, so the worker finds it.
            transaction.on_commit(lambda: run_import_job.delay(job_id))

    def response_add(self, request: HttpRequest, obj: models.ImportJob, post_url_continue=None) -> HttpResponse:
        if "_addanother" in request.POST or IS_POPUP_VAR in request.POST:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(request, f"“{obj.original_name}” is queued for import. This page shows its progress.")
        return HttpResponseRedirect(reverse("admin:lle_portal_importjob_change", args=[obj.pk]))


# Admin for users and invitations, the LAs' term dates, and the audit trail and
# sent email, lives beside, to keep this file to school data.
from . import admin_accounts, admin_calendar, admin_system  # noqa: E402, F401
