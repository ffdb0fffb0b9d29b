"""The adviser's admin for their LAs' term dates (lle_portal/school_calendar.py).

One page per LA and school year: its three terms with their half-terms, and
its bank holidays. A new year's page starts filled in with England's usual
pattern; the list offers to fill in the current and next school years for all
the adviser's LAs at once, for them to change to the dates their LA published.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join

from . import admin_groups, models, school_calendar
from .academic_years import academic_year_label, academic_year_of
from .access import AuthenticatedHttpRequest
from .admin_scope import ScopedFormFields, ScopedToOwnLAs


def _wanted_year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("academic_year", ""))
    except ValueError:
        year = 0
    return year if 2000 <= year <= 2100 else academic_year_of(timezone.localdate())


class SchoolYearFilter(admin.SimpleListFilter):
    """The school years listed, named as everywhere in the portal (2026/27)."""

    title = "school year"
    parameter_name = "academic_year"

    def lookups(self, request, model_admin):
        years = model_admin.get_queryset(request).order_by("-academic_year").values_list("academic_year", flat=True)
        return [(year, academic_year_label(year)) for year in dict.fromkeys(years)]

    def queryset(self, request, queryset):
        value = self.value() or ""
        return queryset.filter(academic_year=int(value)) if value.isdigit() and len(value) == 4 else queryset


class TermFormSet(forms.BaseInlineFormSet):
    """The terms of a year: each once, in order, none overlapping another."""

    def clean(self) -> None:
        super().clean()
        terms = [
            form.cleaned_data for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("starts_on")
            and form.cleaned_data.get("ends_on")
        ]
        ordered = sorted(terms, key=lambda t: school_calendar.ORDER.index(t["term"]))
        for earlier, later in zip(ordered, ordered[1:], strict=False):
            if later["starts_on"] <= earlier["ends_on"]:
                raise forms.ValidationError(
                    f"The {school_calendar.TERM_NAMES[later['term']].lower()} starts after the "
                    f"{school_calendar.TERM_NAMES[earlier['term']].lower()} ends."
                )


# Stacked, not tabular: each date field keeps its own label and help text
# (a table's column headings give a screen reader's form mode no name).
class SchoolTermInline(ScopedFormFields, admin.StackedInline):
    model = models.SchoolTerm
    formset = TermFormSet
    fields = ("term", "starts_on", "half_term_starts_on", "half_term_ends_on", "ends_on")
    max_num = 3
    extra = 0


class BankHolidayInline(ScopedFormFields, admin.StackedInline):
    model = models.BankHoliday
    fields = ("day", "name")
    extra = 0
    verbose_name_plural = "bank holidays and other days every school is closed"


# School days decide when visits count and when a deployment starts: set up once a
# year with brokerage, so listed after its daily tables.
admin_groups.place(models.SchoolYearCalendar, "brokerage", 50, name="Term dates and bank holidays")


@admin.register(models.SchoolYearCalendar)
class SchoolYearCalendarAdmin(ScopedToOwnLAs, admin.ModelAdmin):
    """An adviser keeps their own LAs' term dates; a year left out follows England's usual pattern."""

    list_display = ("local_authority", "year_label", "terms_shown", "holiday_count")
    list_filter = (("local_authority", admin.RelatedOnlyFieldListFilter), SchoolYearFilter)
    list_select_related = ("local_authority",)
    search_fields = ("local_authority__name",)
    fields = ("local_authority", "academic_year", "notes")
    inlines = (SchoolTermInline, BankHolidayInline)

    @admin.display(description="school year", ordering="academic_year")
    def year_label(self, obj: models.SchoolYearCalendar) -> str:
        return academic_year_label(obj.academic_year)

    @admin.display(description="terms")
    def terms_shown(self, obj: models.SchoolYearCalendar) -> str:
        return format_html_join(
            "; ", "{}: {} to {}",
            ((t.get_term_display(), f"{t.starts_on:%-d %b %Y}", f"{t.ends_on:%-d %b %Y}") for t in obj.terms.all()),
        )

    @admin.display(description="bank holidays")
    def holiday_count(self, obj: models.SchoolYearCalendar) -> int:
        return len(obj.bank_holidays.all())

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).prefetch_related("terms", "bank_holidays")

    # --- a new year starts from England's usual pattern ---

    def get_changeform_initial_data(self, request: AuthenticatedHttpRequest) -> dict:  # type: ignore[override]  # the admin's user is signed in
        initial: dict[str, Any] = super().get_changeform_initial_data(request)
        initial.setdefault("academic_year", _wanted_year(request))
        if not request.user.is_superuser:
            mine = list(request.user.my_las().values_list("pk", flat=True)[:2])
            if len(mine) == 1:
                initial.setdefault("local_authority", mine[0])
        return initial

    def _usual(self, request: HttpRequest, obj, inline) -> list[dict]:
        if obj is not None and obj.pk or request.method != "GET":
            return []
        usual = school_calendar.england_school_year(_wanted_year(request))
        if isinstance(inline, SchoolTermInline):
            return [{"term": t.term, "starts_on": t.starts_on, "half_term_starts_on": t.half_term_starts_on,
                     "half_term_ends_on": t.half_term_ends_on, "ends_on": t.ends_on} for t in usual.terms]
        return [{"day": day, "name": name} for day, name in usual.bank_holidays.items()]

    def get_formset_kwargs(self, request: HttpRequest, obj, inline, prefix: str) -> dict:
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        usual = self._usual(request, obj, inline)
        if usual:
            kwargs["initial"] = usual
        return kwargs

    def get_formsets_with_inlines(self, request: HttpRequest, obj=None):
        for inline in self.get_inline_instances(request, obj):
            usual = self._usual(request, obj, inline)
            yield inline.get_formset(request, obj, extra=len(usual)) if usual else inline.get_formset(
                request, obj), inline

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None):
        year = _wanted_year(request)
        extra_context = {
            **(extra_context or {}),
            "usual_pattern_year": academic_year_label(year),
        }
        return super().add_view(request, form_url, extra_context)

    # --- filling in the current and next school years at once ---

    def get_urls(self):
        return [
            path("fill-in/", self.admin_site.admin_view(self.fill_in_view),
                 name="lle_portal_schoolyearcalendar_fill_in"),
            *super().get_urls(),
        ]

    def _fill_in_years(self) -> list[int]:
        year = academic_year_of(timezone.localdate())
        return [year, year + 1]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        extra_context = {
            **(extra_context or {}),
            "fill_in_years": [(year, academic_year_label(year)) for year in self._fill_in_years()]
            if self.has_add_permission(request) else [],
        }
        return super().changelist_view(request, extra_context)

    def fill_in_view(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        # Who may, first; then how (a POST only).
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            year = int(request.POST.get("academic_year", ""))
        except ValueError:
            year = 0
        if year not in self._fill_in_years():
            self.message_user(request, "Choose the current or the next school year.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:lle_portal_schoolyearcalendar_changelist"))
        las = request.user.my_las()
        made = [la.name for la in las if school_calendar.fill_in_england_pattern(la, year)[1]]
        if made:
            self.message_user(
                request, f"{academic_year_label(year)} is filled in with England's usual pattern for "
                f"{', '.join(made)}. Change the dates to those your local authority published.", messages.SUCCESS,
            )
        else:
            self.message_user(request, f"Your local authorities already have term dates for "
                              f"{academic_year_label(year)}.", messages.INFO)
        return HttpResponseRedirect(reverse("admin:lle_portal_schoolyearcalendar_changelist"))
