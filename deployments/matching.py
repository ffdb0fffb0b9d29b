"""Matching LLEs with support needs: a score with its reasons, hard
exclusions, and the assignment of all open needs at once.

Plain functions over plain data. The candidates are loaded in a fixed number
of queries (`load_lles`: one), then scored in Python: 300 LLEs score in a few
milliseconds, so the adviser sees every candidate with every reason.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from django.db.models import DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import dateformat, timezone
from scipy.optimize import linear_sum_assignment

from applications.models import LLEProfile, Phase, Specialism
from lle_portal.models import School
from lle_portal.schooldata import phase_group

from .models import HALF_DAY, Deployment, DeploymentQuerySet, SupportNeed

# --- Weights: a perfect candidate scores 100 ----------------------------------
# The same phase matters most: curriculum, assessment and inspection differ
# between primary and secondary, and the head being coached needs a peer who
# has led a school like theirs.
PHASE_POINTS = 30
# An all-through LLE knows both phases, but not as a specialist of either.
RELATED_PHASE_POINTS = 15
# Travel comes out of the half day or day the LLE gives: full points next
# door, none at DISTANCE_LIMIT_KM (about an hour across rural Norfolk) or beyond.
DISTANCE_POINTS = 25
DISTANCE_LIMIT_KM = 40.0
# Each focus area the LLE offers as a specialism; capped so that a long list of
# specialisms cannot outweigh phase and distance together.
SPECIALISM_POINTS = 10
SPECIALISM_CAP = 30
# The LLE has room for the whole intensity wanted; with less they can still be
# proposed for half a day, which is worth less to the client school.
CAPACITY_POINTS = 15

# A new head's need is for a professional partner (docs/programme.md §7.4): an LLE who offers
# mentoring of new heads meets it as if it were a focus area.
PARTNER_SPECIALISM = Specialism.NEW_HEADS

EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class Reason:
    kind: str  # phase, distance, specialisms, capacity
    label: str
    points: float


@dataclass
class Candidate:
    lle: LLEProfile
    score: float
    reasons: list[Reason] = field(default_factory=list)
    exclusions: list[str] = field(default_factory=list)
    distance_km: float | None = None
    spare_days: Decimal = Decimal(0)
    offer_days: Decimal = Decimal(0)

    @property
    def proposable(self) -> bool:
        return not self.exclusions

    @property
    def spare_text(self) -> str:
        return days_text(self.spare_days) if self.spare_days else "none"

    @property
    def capacity_points(self) -> float:
        return sum(r.points for r in self.reasons if r.kind == "capacity")


@dataclass(frozen=True)
class Assignment:
    need: SupportNeed
    candidate: Candidate | None
    days_per_week: Decimal | None


# --- Loading ---------------------------------------------------------------------


def _committed_days():
    """The days a week an LLE (OuterRef) has committed: a subquery per LLE,
    read by the index on deployment.lle_id, instead of a join and GROUP BY over
    every deployment (and every column of the LLE, its user and school)."""
    committing = Deployment.objects.committing().filter(lle=OuterRef("pk")).order_by()
    zero = Value(Decimal(0), output_field=DecimalField(max_digits=3, decimal_places=1))
    total = committing.values("lle").annotate(days=Sum("days_per_week")).values("days")
    return Coalesce(Subquery(total, output_field=DecimalField(max_digits=3, decimal_places=1)), zero)


def with_committed_days(lles):
    """LLEs with the days a week they have committed (proposed, agreed and
    active deployments) as `committed_days`."""
    return lles.annotate(committed_days=_committed_days())


def capacity_totals(lles) -> dict:
    """Days a week offered and committed by the active LLEs among `lles`, how
    many LLEs there are and how many active ones have no day to spare: one
    lean query (a row per LLE), summed here."""
    committing = Q(deployments__status__in=DeploymentQuerySet.COMMITTING)
    rows = (
        lles.order_by().values("pk", "days_per_week", "is_active")
        .annotate(committed=Sum("deployments__days_per_week", filter=committing))
    )
    totals: dict[str, Any] = {"lle_count": 0, "offered": Decimal(0), "committed": Decimal(0), "full": 0}
    for row in rows:
        totals["lle_count"] += 1
        if row["is_active"]:
            committed = row["committed"] or Decimal(0)
            totals["offered"] += row["days_per_week"]
            totals["committed"] += committed
            totals["full"] += committed >= row["days_per_week"]
    return totals


def load_lles(lles=None) -> list[LLEProfile]:
    """Every LLE (or those of `lles`) with their school, user and committed days, in one query."""
    lles = LLEProfile.objects.all() if lles is None else lles
    # Only the columns scoring and the lists read: 300 LLEs with their school
    # and user are 900 model instances, and a school has some thirty columns.
    lles = lles.select_related("user", "school").only(
        *(f.name for f in LLEProfile._meta.concrete_fields),
        "user__full_name", "user__email",
        "school__name", "school__trust", "school__federation", "school__latitude", "school__longitude",
    )
    return list(with_committed_days(lles).order_by("user__full_name", "pk"))


@dataclass(frozen=True)
class Pairings:
    """What has already happened between LLEs and the needs being matched."""

    # (LLE, client school): a deployment in hand (proposed, agreed or active).
    busy: frozenset[tuple[int, int]] = frozenset()
    # (LLE, need): a proposal not taken up (declined by the LLE or the client
    # head, or withdrawn by the adviser), and when. Never proposed again for that need.
    declined: dict[tuple[int, int], date] = field(default_factory=dict)

    def is_busy(self, lle_id: int, school_id: int) -> bool:
        return (lle_id, school_id) in self.busy

    def declined_on(self, lle_id: int, need_id: int | None) -> date | None:
        return self.declined.get((lle_id, need_id)) if need_id is not None else None


def load_pairings(needs: Iterable[SupportNeed], *, lle_ids: Iterable[int] | None = None) -> Pairings:
    """The deployments in hand at the needs' schools and the proposals not
    taken up for the needs themselves: one query."""
    needs = list(needs)
    deployments = Deployment.objects.filter(
        Q(status__in=DeploymentQuerySet.COMMITTING, client_school_id__in={n.client_school_id for n in needs})
        | Q(status=Deployment.Status.WITHDRAWN, need_id__in=[n.pk for n in needs if n.pk])
    )
    if lle_ids is not None:
        deployments = deployments.filter(lle_id__in=list(lle_ids))
    busy: set[Any]
    declined: dict[Any, Any]
    busy, declined = set(), {}
    rows = deployments.order_by().values_list("lle_id", "client_school_id", "need_id", "status",
                                              Coalesce("finished_at", "updated_at"))
    for lle_id, school_id, need_id, status, when in rows:
        if status == Deployment.Status.WITHDRAWN:
            day = timezone.localdate(when)
            declined[lle_id, need_id] = max(day, declined.get((lle_id, need_id), day))
        else:
            busy.add((lle_id, school_id))
    return Pairings(frozenset(busy), declined)


# --- Scoring ----------------------------------------------------------------------


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points on the Earth, in km."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def distance_between(a: School, b: School) -> float | None:
    if None in (a.latitude, a.longitude, b.latitude, b.longitude):
        return None
    return haversine_km(float(a.latitude), float(a.longitude), float(b.latitude), float(b.longitude))  # type: ignore[arg-type]


def phase_reason(lle_phase: str, client_phase: str) -> Reason:
    if not client_phase:
        return Reason("phase", "The client school's phase is not known", 0)
    client_label = Phase(client_phase).label.lower()
    if lle_phase == client_phase:
        return Reason("phase", f"Same phase ({client_label})", PHASE_POINTS)
    if Phase.ALL_THROUGH in (lle_phase, client_phase) and {lle_phase, client_phase} & {Phase.PRIMARY, Phase.SECONDARY}:
        return Reason("phase", f"Related phase (all-through and {client_label})", RELATED_PHASE_POINTS)
    lle_label = Phase(lle_phase).label.lower() if lle_phase in Phase.values else "unknown"
    return Reason("phase", f"Different phase ({lle_label}, client {client_label})", 0)


def distance_reason(km: float | None) -> Reason:
    if km is None:
        return Reason("distance", "Distance not known (a school has no coordinates)", 0)
    points = round(DISTANCE_POINTS * max(0.0, 1 - km / DISTANCE_LIMIT_KM), 1)
    return Reason("distance", f"{km:.1f} km between the schools", points)


def wanted_specialisms(need: SupportNeed) -> list[str]:
    wanted = list(need.focus_areas)
    if need.is_professional_partner and PARTNER_SPECIALISM not in wanted:
        wanted.append(PARTNER_SPECIALISM)
    return wanted


def specialism_reason(offered: Sequence[str], wanted: Sequence[str]) -> Reason:
    met = [s for s in wanted if s in offered]
    if not wanted:
        return Reason("specialisms", "No focus areas recorded for the need", 0)
    if not met:
        return Reason("specialisms", "No specialism meets the focus areas", 0)
    labels = ", ".join(Specialism(s).label for s in met if s in Specialism.values)
    return Reason("specialisms", f"Specialisms meet {len(met)} of {len(wanted)} focus areas: {labels}",
                  min(SPECIALISM_CAP, SPECIALISM_POINTS * len(met)))


def days_text(days: Decimal) -> str:
    return {HALF_DAY: "half a day", Decimal(1): "one day"}.get(Decimal(days), f"{Decimal(days).normalize():f} days")


def capacity_reason(spare: Decimal, wanted: Decimal) -> Reason:
    free = f"{days_text(spare)} a week free, {days_text(wanted)} wanted"
    if spare >= wanted:
        return Reason("capacity", f"Spare capacity: {free}", CAPACITY_POINTS)
    if spare >= HALF_DAY:
        return Reason("capacity", f"Some spare capacity: {free}", 0)
    return Reason("capacity", "No spare capacity", 0)


def exclusions_for(lle: LLEProfile, client: School, *, spare: Decimal, busy: bool,
                   declined_on: date | None = None) -> list[str]:
    """Why this LLE must not be proposed for this school (and need), if at all."""
    reasons = []
    if lle.school_id == client.pk:
        reasons.append("This is the LLE's own school")
    else:
        if lle.school.trust and lle.school.trust == client.trust:
            reasons.append(f"Same trust ({client.trust})")
        if lle.school.federation and lle.school.federation == client.federation:
            reasons.append(f"Same federation ({client.federation})")
    reasons += lle.not_deployable_because()
    if spare < HALF_DAY:
        reasons.append("No spare capacity")
    if busy:
        reasons.append("Already deployed to this school")
    if declined_on is not None:
        reasons.append(f"Declined on {dateformat.format(declined_on, 'j F Y')}")
    return reasons


def spare_days(lle: LLEProfile) -> Decimal:
    committed = getattr(lle, "committed_days", None) or Decimal(0)
    return max(Decimal(0), Decimal(lle.days_per_week) - Decimal(committed))


def score_candidate(need: SupportNeed, lle: LLEProfile, *, pairings: Pairings | None = None) -> Candidate:
    """One LLE for one need: the score, each reason for it, and any exclusion."""
    client = need.client_school
    pairings = pairings or Pairings()
    spare = spare_days(lle)
    km = distance_between(lle.school, client)
    wanted = Decimal(need.days_per_week)
    reasons = [
        phase_reason(lle.phase, phase_group(client)),
        distance_reason(km),
        specialism_reason(lle.specialisms, wanted_specialisms(need)),
        capacity_reason(spare, wanted),
    ]
    return Candidate(
        lle=lle,
        score=round(sum(r.points for r in reasons), 1),
        reasons=reasons,
        exclusions=exclusions_for(lle, client, spare=spare, busy=pairings.is_busy(lle.pk, client.pk),
                                  declined_on=pairings.declined_on(lle.pk, need.pk)),
        distance_km=km,
        spare_days=spare,
        offer_days=min(wanted, spare) if spare >= HALF_DAY else Decimal(0),
    )


def _rank_key(candidate: Candidate):
    distance = candidate.distance_km if candidate.distance_km is not None else math.inf
    return (not candidate.proposable, -candidate.score, distance, candidate.lle.user.full_name)


def rank_candidates(need: SupportNeed, lles: list[LLEProfile] | None = None,
                    pairings: Pairings | None = None) -> list[Candidate]:
    """Every LLE for the need, best first; the excluded ones last, with why."""
    lles = load_lles() if lles is None else lles
    pairings = load_pairings([need]) if pairings is None else pairings
    candidates = [score_candidate(need, lle, pairings=pairings) for lle in lles]
    return sorted(candidates, key=_rank_key)


# --- All open needs at once ---------------------------------------------------------

# An assignment worth nothing, and one that must never be chosen.
LEAVE_UNMATCHED = 0.0
FORBIDDEN = -1e9
# Prefer an LLE's first free half day over another's second: spreads the work.
LATER_SLOT_PENALTY = 0.01


def assign_all(needs: Sequence[SupportNeed], lles: list[LLEProfile] | None = None,
               pairings: Pairings | None = None) -> list[Assignment]:
    """Propose one LLE for each need, maximising the total score, every LLE
    within their spare capacity.

    Each LLE is expanded into capacity slots of half a day (one day spare:
    two slots), and each need takes one slot or none (a "leave unmatched"
    column per need, worth nothing, so an excluded pair is never forced).
    SciPy's linear_sum_assignment solves it exactly. A need wanting a full day
    from an LLE who is given two needs gets half a day: the capacity holds
    whatever the solver picks.
    """
    lles = load_lles() if lles is None else lles
    pairings = load_pairings(needs) if pairings is None else pairings
    if not needs:
        return []
    slots: list[tuple[LLEProfile, int]] = [
        (lle, k) for lle in lles for k in range(int(spare_days(lle) / HALF_DAY))
    ]
    values = np.full((len(needs), len(slots) + len(needs)), FORBIDDEN)
    scored: list[dict[int, Candidate]] = []
    for i, need in enumerate(needs):
        candidates = {}
        wanted = Decimal(need.days_per_week)
        for j, (lle, k) in enumerate(slots):
            if k == 0:
                candidates[lle.pk] = score_candidate(need, lle, pairings=pairings)
            candidate = candidates[lle.pk]
            if not candidate.proposable:
                continue
            # The slot's own capacity: the LLE's first slot can give the
            # whole day, a second only the half day left after the first.
            room = candidate.spare_days - HALF_DAY * k
            capacity = CAPACITY_POINTS if room >= wanted else 0
            # +1: any acceptable LLE is better than leaving the school unmatched.
            values[i, j] = candidate.score - candidate.capacity_points + capacity + 1 - LATER_SLOT_PENALTY * k
        values[i, len(slots) + i] = LEAVE_UNMATCHED
        scored.append(candidates)

    rows, cols = linear_sum_assignment(values, maximize=True)
    chosen: dict[int, tuple[int, int]] = {}  # need index -> (slot index, k)
    per_lle: dict[int, list[int]] = defaultdict(list)
    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        if j < len(slots) and values[i, j] > FORBIDDEN / 2:
            lle, k = slots[j]
            chosen[i] = (j, k)
            per_lle[lle.pk].append(i)

    # Share each LLE's spare days among their needs: each gets at least half
    # a day (there is a slot for each), the first slots what they want.
    offer: dict[int, Decimal] = {}
    for need_indexes in per_lle.values():
        ordered = sorted(need_indexes, key=lambda i: chosen[i][1])
        lle = slots[chosen[ordered[0]][0]][0]
        left = spare_days(lle)
        for position, i in enumerate(ordered):
            after = HALF_DAY * (len(ordered) - position - 1)
            offer[i] = min(Decimal(needs[i].days_per_week), left - after)
            left -= offer[i]

    assignments = []
    for i, need in enumerate(needs):
        if i in chosen:
            lle = slots[chosen[i][0]][0]
            assignments.append(Assignment(need, scored[i][lle.pk], offer[i]))
        else:
            assignments.append(Assignment(need, None, None))
    return assignments
