"""The designation panel's ranking of a round: a reader, no writes.

The ranking rule is done by the database (a national round has thousands of
complete applications), with the per-vendor JSON functions it needs; the
panel's decisions are written by applications.services.panel_decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Avg,
    BooleanField,
    Case,
    DecimalField,
    Expression,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Round

from .models import Application, ApplicationRound, Assessment, LinkRequest

Status = Application.Status

# Applications the panel sees: every assessor has scored them (decided or not).
PANEL_STATUSES = (Status.ASSESSED, Status.DESIGNATED, Status.NOT_DESIGNATED, Status.DEFERRED)


@dataclass
class PanelEntry:
    application: Application
    rank: int
    totals: list[int]
    average: Decimal | None
    priority_phase: bool
    priority_specialisms: list[str]


class _ListHolds(Func):
    """Whether a JSON list column holds a value (Application.specialisms)."""

    arity = 2
    output_field = BooleanField()
    # PostgreSQL's jsonb `?` finds a string among a top-level array's elements.
    template = "(%(expressions)s)"
    arg_joiner = " ? "

    def __init__(self, field: str, value: str):
        super().__init__(F(field), Value(value))

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="EXISTS (SELECT 1 FROM json_each(%(expressions)s)",
            arg_joiner=") AS item WHERE item.value = ", **extra,
        )


def _panel_applications(round: ApplicationRound):
    """The round's complete applications, best first: the ranking rule.

    Ranked by the assessors' average total (to one decimal place, as shown),
    then by the round's local priorities (docs/programme.md §6.5, §2.3: "particularly from
    secondary schools") -- a priority phase first, then more of the priority specialisms
    -- then by who submitted first.
    """
    # The totals stored when each assessment was submitted (services.assessment_submit).
    average = (
        Assessment.objects.filter(application=OuterRef("pk"), submitted_at__isnull=False)
        .values("application").annotate(average=Round(Avg("total"), 1)).values("average")
    )
    phases = [phase for phase in round.priority_phases if phase]
    specialisms = [Case(When(_ListHolds("specialisms", s), then=Value(1)), default=Value(0))
                   for s in round.priority_specialisms]
    order = [Coalesce("average", Value(Decimal(0))).desc()]
    # Only the priorities the round has (a constant in ORDER BY would be read as a column number).
    if phases:
        order.append(F("priority_phase").desc())
        priority_phase: Expression = ExpressionWrapper(Q(phase_offered__in=phases), output_field=BooleanField())
    else:
        priority_phase = Value(False, output_field=BooleanField())
    if specialisms:
        order.append(sum(specialisms[1:], specialisms[0]).desc())
    return (
        round.applications.filter(status__in=PANEL_STATUSES)
        .annotate(average=Subquery(average, output_field=DecimalField()), priority_phase=priority_phase)
        .order_by(*order, "submitted_at", "pk")
    )


class PanelRanking(Sequence):
    """The ranked panel of a round, as a sequence of PanelEntry.

    A national round has thousands of complete applications: the ranking itself
    is one query of ids (ranked by the database), and an entry's application,
    scores and reference are loaded only for the slice asked for (a page of
    the panel: three queries), so the page costs the same however big the round.
    """

    def __init__(self, round: ApplicationRound, ranked: list[tuple[int, int, str]]):
        self.round = round
        self._ranked = ranked  # (rank, pk, status), best first

    @classmethod
    def of(cls, round: ApplicationRound) -> PanelRanking:
        order = _panel_applications(round).values_list("pk", "status")
        return cls(round, [(rank, pk, status) for rank, (pk, status) in enumerate(order, start=1)])

    def __len__(self) -> int:
        return len(self._ranked)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._entries(self._ranked[index])
        return self._entries([self._ranked[index]])[0]

    def __iter__(self):
        return iter(self._entries(self._ranked))

    def only(self, pks: set[int]) -> PanelRanking:
        """These applications, keeping their rank in the whole round."""
        return PanelRanking(self.round, [row for row in self._ranked if row[1] in pks])

    def count_status(self, status: str) -> int:
        return sum(1 for _, _, s in self._ranked if s == status)

    def position(self, pk: int) -> int | None:
        """Where the application stands in this list (0 first), None if absent."""
        return next((i for i, row in enumerate(self._ranked) if row[1] == pk), None)

    def _entries(self, rows: list[tuple[int, int, str]]) -> list[PanelEntry]:
        if not rows:
            return []
        loaded = (
            _panel_applications(self.round).filter(pk__in=[pk for _, pk, _ in rows])
            .for_list()
            .select_related("decided_by")
            .prefetch_related(
                Prefetch(
                    "assessments",
                    queryset=Assessment.objects.filter(submitted_at__isnull=False).order_by("pk")
                    .only("application_id", "total", "submitted_at"),
                    to_attr="scored_assessments",
                ),
                # The panel reads the sponsor's reference (docs/programme.md §6.4: "review of the reference").
                Prefetch(
                    "link_requests",
                    queryset=LinkRequest.objects.filter(kind=LinkRequest.Kind.REFERENCE,
                                                        status=LinkRequest.Status.RECEIVED),
                    to_attr="received_references",
                ),
            )
            .in_bulk()
        )
        entries = []
        for rank, pk, _ in rows:
            application = loaded[pk]
            entries.append(PanelEntry(
                application=application, rank=rank,
                totals=[a.total for a in application.scored_assessments],
                average=application.average, priority_phase=application.priority_phase,
                priority_specialisms=[s for s in application.specialisms if s in self.round.priority_specialisms],
            ))
        return entries


def panel_ranking(*, round: ApplicationRound) -> PanelRanking:
    """The round's complete applications, best first (see _panel_applications
    for the rule); entries are read a slice at a time."""
    return PanelRanking.of(round)
