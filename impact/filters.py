"""The dashboard's filters (django-filter): the year, the phase and the measure.

The FilterSet narrows the results a dashboard reads and validates the choices;
a value that is not offered falls back to the default with the form's error."""

from __future__ import annotations

import django_filters

from lle_portal.models import SchoolResult

from .analysis import ANALYSIS_MEASURES, DEFAULT_MEASURE, PHASES


def year_choices(years: list[int], with_results: set[int] | None = None) -> list[tuple[int, str]]:
    """"2024/25 against 2023/24" for a year whose results can be compared; a year
    of the programme without them says so."""
    with_results = set(years) if with_results is None else with_results
    return [
        (year, f"{year - 1}/{str(year)[-2:]} against {year - 2}/{str(year - 1)[-2:]}" if year in with_results
         else f"{year - 1}/{str(year)[-2:]} (programme only: no results to compare)")
        for year in years
    ]


class ImpactFilter(django_filters.FilterSet):
    measure = django_filters.ChoiceFilter(
        label="Measure", choices=[(key, m.label) for key, m in ANALYSIS_MEASURES.items()],
        method="filter_measure", empty_label=None,
    )
    year = django_filters.ChoiceFilter(label="Year", method="filter_year", empty_label=None)
    phase = django_filters.ChoiceFilter(
        label="Phase", choices=[(key, key.capitalize()) for key in PHASES], method="filter_phase",
        empty_label="All phases",
    )

    class Meta:
        model = SchoolResult
        fields = ["measure", "year", "phase"]

    def __init__(self, data=None, *args, years: list[int], default: int | None = None,
                 default_measure: str = DEFAULT_MEASURE, measures: list[str] | None = None,
                 with_results: set[int] | None = None, **kwargs):
        """`measures`: the measures offered, in order (by default all); `with_results`:
        the years among `years` whose results can be compared (by default all)."""
        data = data.copy() if data is not None else {}
        data.setdefault("measure", default_measure)
        if default is not None or years:
            data.setdefault("year", str(default if default is not None else years[0]))
        super().__init__(data, *args, **kwargs)
        self.filters["year"].extra["choices"] = year_choices(years, with_results)
        if measures is not None:
            self.filters["measure"].extra["choices"] = [(key, ANALYSIS_MEASURES[key].label) for key in measures]
        for field in self.form.fields.values():
            field.widget.attrs.setdefault("class", "form-select")

    def filter_measure(self, queryset, name, value):
        return queryset.filter(measure__in=ANALYSIS_MEASURES[value].family)

    def filter_year(self, queryset, name, value):
        return queryset.filter(year__in=[int(value) - 1, int(value)])

    def filter_phase(self, queryset, name, value):
        return queryset.filter(school__phase__in=PHASES[value]) if value else queryset

    def choice(self, name: str, default=None):
        """The chosen value of a filter if it is valid, otherwise `default`."""
        self.form.is_valid()  # cleaned_data keeps the fields that are valid
        value = self.form.cleaned_data.get(name) or default
        return int(value) if name == "year" and value is not None else value
