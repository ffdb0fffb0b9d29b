"""Eligibility: the one place that decides whether an applicant meets each
criterion (docs/programme.md §3).

Every criterion is met, not met, or to be verified, with the reason in plain
words. The check uses the applicant's answers *and* the imported official data
(latest Ofsted inspection; results against the floor standard over three years)
and flags every disagreement between them for verification. A head who does not
yet meet a criterion may still apply, "working towards eligibility" (docs/programme.md §2.2):
these results inform; they never block.

Pages, the admin and the panel list call `eligibility_for` (one application) or
`eligibility_for_many` (a list: a fixed number of queries whatever its length).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch

from lle_portal.formatting import join_words as _join
from lle_portal.models import Inspection, ReportCardGrade
from lle_portal.schooldata import (
    BELOW,
    GOOD,
    UNKNOWN,
    EligibilityRules,
    FloorOutcome,
    InspectionRecord,
    SchoolResults,
    england_averages,
    floor_by_year,
    grade_words,
    inspection_records,
    key_stages,
    leadership_outcome,
    performance_outcome,
    results_for_schools,
)

from .approvals import CHAIR_LINKS, chair_approval
from .models import Application, FloorStandard, Verification

MET = "met"
NOT_MET = "not_met"
TO_VERIFY = "to_verify"
STATUS_LABELS = {MET: "Met", NOT_MET: "Not met", TO_VERIFY: "To be verified"}

MIN_YEARS_AS_HEAD = Decimal(3)
YEARS_OF_RESULTS = 3


@dataclass
class Criterion:
    key: str
    title: str
    status: str
    reason: str
    declared: str = ""
    official: str = ""
    disagreement: bool = False

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def staff_title(self) -> str:
        """The title as staff read it (the applicant reads "in your absence")."""
        return for_staff(self.title)

    @property
    def staff_reason(self) -> str:
        """The reason as staff read it: about the applicant, not to them."""
        return for_staff(self.reason)

    @property
    def tone(self) -> str:
        return {MET: "success", NOT_MET: "danger", TO_VERIFY: "warning"}[self.status]


# The reasons speak to the applicant; staff pages (verification, the panel)
# read them about the applicant. One table, in order (longer phrases first),
# tested to leave no "you" or "your" in any reason the criteria give.
STAFF_WORDING = (
    ("You have not yet said when you became headteacher.",
     "The applicant has not yet said when they became headteacher."),
    ("You have not yet said whether your senior team can cover.",
     "The applicant has not yet said whether their senior team can cover."),
    ("You said your senior team could not yet lead the school while you are away.",
     "The applicant said their senior team could not yet lead the school in their absence."),
    ("Say how your senior team will lead while you are away.",
     "The applicant has not yet said how their senior team will lead in their absence."),
    ("Your senior team can lead the school while you are away.",
     "The applicant's senior team can lead the school in their absence."),
    ("You said your pupils' results", "The applicant said their pupils' results"),
    ("You have been a headteacher", "The applicant has been a headteacher"),
    ("You can still apply as working towards eligibility.", "They can still apply as working towards eligibility."),
    ("Choose your school first.", "The applicant has not chosen their school yet."),
    ("Give your latest leadership and management grade.",
     "The applicant has not given their latest leadership and management grade."),
    ("Tell us whether the senior leadership team agreed.",
     "The applicant has not said whether the senior leadership team agreed."),
    ("so the adviser will verify your answer", "so the adviser will verify the applicant's answer"),
    ("none applies to your results", "none applies to the school's results"),
    ("from your chair of governors", "from the applicant's chair of governors"),
    ("after you apply", "after the applicant applies"),
    ("in your absence", "in the head's absence"),
    ("your school's", "the school's"),
    ("your school", "the school"),
    ("Your answer", "The applicant's answer"),
    ("You said", "The applicant said"),
    ("you said", "the applicant said"),
    ("you gave", "the applicant gave"),
)


def for_staff(text: str) -> str:
    """A reason written to the applicant, reworded for staff who read it about them."""
    for applicant_words, staff_words in STAFF_WORDING:
        text = text.replace(applicant_words, staff_words)
    return text


@dataclass
class Eligibility:
    criteria: list[Criterion] = field(default_factory=list)

    @property
    def is_eligible(self) -> bool:
        return all(c.status == MET for c in self.criteria)

    @property
    def not_met(self) -> list[Criterion]:
        return [c for c in self.criteria if c.status == NOT_MET]

    @property
    def to_verify(self) -> list[Criterion]:
        return [c for c in self.criteria if c.status == TO_VERIFY]

    @property
    def disagreements(self) -> list[Criterion]:
        return [c for c in self.criteria if c.disagreement]

    @property
    def summary(self) -> str:
        if self.not_met:
            return f"{len(self.not_met)} not met"
        if self.to_verify:
            return f"{len(self.to_verify)} to be verified"
        return "Eligible"

    def __getitem__(self, key: str) -> Criterion:
        # KeyError, not StopIteration: templates try `eligibility.not_met` as a
        # key first and fall back to the attribute only on KeyError.
        for criterion in self.criteria:
            if criterion.key == key:
                return criterion
        raise KeyError(key)


CRITERIA = {
    "headship": "Serving headteacher for at least 3 years",
    "inspection": "Good leadership at the latest inspection",
    "performance": "High levels of pupil performance or continued improvement over the last 3 years",
    "floor_standard": "Above the floor standard over the last 3 years",
    "senior_team": "A senior leadership team able to lead the school in your absence",
    "approvals": "Approval of the governing body, the senior leadership team and the LA",
}


@dataclass
class OfficialData:
    """What the imported files say about the applicants' schools, loaded in bulk."""

    records: dict[int, InspectionRecord]
    results: dict[int, SchoolResults]
    floor_standards: dict[tuple[str, int], FloorStandard]
    averages: dict[tuple[str, str, int], Decimal | None]

    @property
    def inspections(self) -> dict[int, Inspection | None]:
        """Each school's latest inspection of any kind."""
        return {pk: record.latest for pk, record in self.records.items()}

    @classmethod
    def for_schools(cls, school_ids: Iterable[int | None]) -> OfficialData:
        ids = {pk for pk in school_ids if pk}
        standards = {(f.key_stage, f.year): f for f in FloorStandard.objects.all()}
        return cls(records=inspection_records(ids), results=results_for_schools(ids), floor_standards=standards,
                   averages=england_averages())


def eligibility_for(application: Application, official: OfficialData | None = None) -> Eligibility:
    official = official or OfficialData.for_schools([application.school_id])
    verifications = {v.criterion: v for v in application.verifications.all()}
    rules = EligibilityRules.from_data(application.round.eligibility_rules if application.round_id else None)
    checks = [
        _headship(application),
        _inspection(application, official.records.get(application.school_id), rules),  # type: ignore[arg-type]
        _performance(application, official, rules),
        _floor_standard(application, official),
        _senior_team(application),
        _approvals(application),
    ]
    return Eligibility([_apply_verification(c, verifications.get(c.key)) for c in checks])


def eligibility_for_many(applications: list[Application]) -> dict[int, Eligibility]:
    """Eligibility of many applications in a fixed number of queries.

    The applications should come with `verifications` prefetched (see
    `with_eligibility_data`); official data is loaded once for all their schools.
    """
    official = OfficialData.for_schools(a.school_id for a in applications)
    return {a.pk: eligibility_for(a, official) for a in applications}


def with_eligibility_data(queryset):
    return queryset.select_related("school", "round", "applicant", "referee").prefetch_related(
        Prefetch("verifications", queryset=Verification.objects.all()),
        # The chair's link: the governing body's approval (approvals.chair_approval).
        CHAIR_LINKS,
    )


# --- the criteria ----------------------------------------------------------


def _apply_verification(criterion: Criterion, verification: Verification | None) -> Criterion:
    """The adviser's verification settles a criterion, whatever the data said."""
    if verification is None or verification.outcome == Verification.Outcome.QUERY:
        if verification is not None:
            criterion.status = TO_VERIFY
            criterion.reason += f" The adviser has a query: {verification.note}".rstrip(": ")
        return criterion
    if verification.outcome == Verification.Outcome.CONFIRMED:
        criterion.status = MET
        criterion.reason = "Verified by the adviser." + (f" {verification.note}" if verification.note else "")
    else:
        criterion.status = NOT_MET
        note = f" {verification.note}" if verification.note else ""
        criterion.reason = "Checked by the adviser and not met." + note
    return criterion


def _years(value: Decimal) -> str:
    value = value.quantize(Decimal("0.1"))
    return f"{value.normalize():f} year{'s' if value != 1 else ''}"


def _headship(application: Application) -> Criterion:
    title = CRITERIA["headship"]
    years = application.years_as_head
    if years is None:
        return Criterion("headship", title, TO_VERIFY, "You have not yet said when you became headteacher.")
    declared = f"{_years(years)} as a headteacher"
    if years < MIN_YEARS_AS_HEAD:
        return Criterion(
            "headship", title, NOT_MET,
            f"You have been a headteacher for {_years(years)}; the programme asks for at least 3 years. "
            "You can still apply as working towards eligibility.",
            declared=declared,
        )
    # GIAS publishes no appointment date, so the adviser confirms what the head declares.
    return Criterion(
        "headship", title, TO_VERIFY,
        f"You have been a headteacher for {_years(years)}. Official data does not record appointment dates, "
        "so the adviser will verify this.",
        declared=declared, official="Not published (GIAS has no appointment date)",
    )


_grade = grade_words


def _inspection(application: Application, record: InspectionRecord | None, rules: EligibilityRules) -> Criterion:
    """Good leadership at the latest inspection, read under its framework
    (lle_portal.schooldata.leadership_outcome) and against the head's answer."""
    title = CRITERIA["inspection"]
    declared_grade = application.declared_leadership
    # A report-card school answers on the report card's scale (forms.PerformanceSectionForm).
    declared_area = application.declared_report_card_leadership
    declared = ""
    if declared_grade:
        declared = f"Leadership and management {_grade(declared_grade)}"
    elif declared_area:
        declared = f"Leadership and governance {ReportCardGrade(declared_area).label.lower()}"
    if declared and application.declared_inspection_date:
        declared += f", inspected {application.declared_inspection_date:%-d %B %Y}"
    if application.school_id is None:
        return Criterion("inspection", title, TO_VERIFY, "Choose your school first.", declared=declared)
    record = record or InspectionRecord()
    outcome = leadership_outcome(record, rules)
    official = outcome.figures
    judged = record.judged
    declared_not_good = declared_grade and declared_grade not in rules.good_leadership_grades
    not_good_area = not declared_grade and declared_area and declared_area > rules.report_card_leadership_at_least
    if not_good_area:
        wanted = ReportCardGrade(rules.report_card_leadership_at_least).label.lower()
        area_not_good = Criterion(
            "inspection", title, NOT_MET, f"You said leadership and governance was "
            f"{ReportCardGrade(declared_area).label.lower()}; the round asks for {wanted} or better.",  # type: ignore[arg-type]
            declared=declared, official=official)
    if judged is None:
        if declared_not_good:
            return Criterion("inspection", title, NOT_MET, f"You said leadership and management was "
                             f"{_grade(declared_grade)}; it must be good or outstanding.", declared=declared)
        if not_good_area:
            return area_not_good
        return Criterion(
            "inspection", title, TO_VERIFY,
            f"{_sentence(outcome.why)}, so the adviser will verify your answer.",
            declared=declared, official=official,
        )

    official_grade = judged.leadership_and_management
    problems = []
    if declared_grade and official_grade and declared_grade != official_grade:
        problems.append(
            f"you said leadership and management was {_grade(declared_grade)}, "
            f"the official record says {_grade(official_grade)}"
        )
    official_area = judged.evaluation_areas.get("leadership_and_governance")
    if (judged.inspection_type == Inspection.Type.REPORT_CARD and declared_area and official_area
            and declared_area != official_area):
        problems.append(
            f"you said leadership and governance was {ReportCardGrade(declared_area).label.lower()}, "
            f"the report card says {ReportCardGrade(official_area).label.lower()}"
        )
    inspected_on = {i.inspection_date for i in (record.latest, judged) if i is not None}
    if application.declared_inspection_date and application.declared_inspection_date not in inspected_on:
        problems.append(
            f"you gave the inspection date {application.declared_inspection_date:%-d %B %Y}, "
            f"the latest on record is {record.latest.inspection_date:%-d %B %Y}"  # type: ignore[union-attr]
        )
    if problems:
        return Criterion(
            "inspection", title, TO_VERIFY,
            "Your answer and the official data disagree: " + "; ".join(problems) + ". The adviser will verify.",
            declared=declared, official=official, disagreement=True,
        )
    if outcome.state == UNKNOWN:
        if judged.inspection_type != Inspection.Type.REPORT_CARD and official_grade is None:
            if declared_grade is None:
                return Criterion("inspection", title, TO_VERIFY,
                                 "Give your latest leadership and management grade.", official=official)
            if declared_not_good:
                return Criterion("inspection", title, NOT_MET, f"You said leadership and management was "
                                 f"{_grade(declared_grade)}; it must be good or outstanding.",
                                 declared=declared, official=official)
            return Criterion(
                "inspection", title, TO_VERIFY,
                "The official record gives the overall grade only, so the adviser will verify the leadership grade.",
                declared=declared, official=official,
            )
        if not_good_area:
            return area_not_good
        return Criterion("inspection", title, TO_VERIFY, f"{_sentence(outcome.why)}; the adviser will verify.",
                         declared=declared, official=official)
    if outcome.state == GOOD:
        return Criterion("inspection", title, MET, f"{_sentence(outcome.why)} at the latest inspection.",
                         declared=declared, official=official)
    return Criterion(
        "inspection", title, NOT_MET,
        f"{_sentence(outcome.why)} at the latest inspection. You can still apply as working towards eligibility.",
        declared=declared, official=official,
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _floor_status(outcome: FloorOutcome) -> str:
    if outcome.state == BELOW:
        return TO_VERIFY if outcome.needs_check else NOT_MET
    return TO_VERIFY if outcome.state == UNKNOWN else MET


def _floor_standard(application: Application, official: OfficialData) -> Criterion:
    title = CRITERIA["floor_standard"]
    declared = application.get_declared_above_floor_display() if application.declared_above_floor else ""
    school = application.school
    if school is None:
        return Criterion("floor_standard", title, TO_VERIFY, "Choose your school first.", declared=declared)
    if not key_stages(school):
        return Criterion("floor_standard", title, TO_VERIFY,
                         "There is no floor standard for your school's phase in the data; the adviser will verify.",
                         declared=declared)
    by_year = floor_by_year(school, official.results.get(school.pk, SchoolResults()), official.floor_standards)
    years = sorted(by_year)[-YEARS_OF_RESULTS:]
    if not years:
        return Criterion("floor_standard", title, TO_VERIFY,
                         "The portal holds no published results for your school; the adviser will verify.",
                         declared=declared, official="No results on record")
    # The floor standard applies only in years that had one: none has since 2019.
    last_floor_year = max((y for (ks, y) in official.floor_standards if ks in key_stages(school)), default=0)
    after = [y for y in years if y > last_floor_year]
    if after:
        years = [y for y in years if y <= last_floor_year]
        if not years:
            return Criterion(
                "floor_standard", title, MET,
                f"No floor standard has applied since {last_floor_year}, so none applies to your results for "
                f"{_join(after)}; the performance criterion judges them instead.",
                declared=declared, official=f"{_join(after)}: no floor standard (the last was in {last_floor_year})",
            )
    outcomes = [(year, _floor_status(by_year[year][1]), by_year[year][1].why) for year in years]
    official_text = "; ".join(f"{year}: {why}" for year, _, why in outcomes)
    below = [year for year, status, _ in outcomes if status == NOT_MET]
    unknown: list[int | str] = [year for year, status, _ in outcomes if status == TO_VERIFY]
    if len(years) < YEARS_OF_RESULTS and not after:
        unknown.append(f"only {len(years)} year{'s' if len(years) != 1 else ''} of results on record")
    if below:
        status, reason = NOT_MET, f"Official results are below the floor standard in {_join(below)}."
    elif unknown:
        status, reason = TO_VERIFY, f"The floor standard cannot be checked from the data for {_join(unknown)}."
    else:
        status, reason = MET, f"Above the floor standard in {_join(years)}."
    if after:
        reason += f" No floor standard applies to {_join(after)} (the last was in {last_floor_year})."
        official_text += f"; {_join(after)}: no floor standard"
    disagreement = (
        (application.declared_above_floor == Application.YesNoUnsure.YES and status == NOT_MET)
        or (application.declared_above_floor == Application.YesNoUnsure.NO and status == MET)
    )
    if disagreement:
        reason = f"Your answer ({declared.lower()}) disagrees with the official data. {reason} The adviser will verify."
        status = TO_VERIFY
    elif application.declared_above_floor == Application.YesNoUnsure.NO and status != NOT_MET:
        status = NOT_MET
        reason = "You said the school has not been above the floor standard in each of the last 3 years."
    return Criterion("floor_standard", title, status, reason, declared=declared, official=official_text,
                     disagreement=disagreement)


def _performance(application: Application, official: OfficialData, rules: EligibilityRules) -> Criterion:
    """High levels of pupil performance or continued improvement over the last
    three years (docs/programme.md §3.5), read from the official results by the round's rule,
    and against the head's answer (a disagreement is flagged, as for the floor)."""
    title = CRITERIA["performance"]
    said = application.declared_results_good
    declared = "" if said is None else f"Results high or improving: {'yes' if said else 'no'}"
    school = application.school
    if school is None:
        return Criterion("performance", title, TO_VERIFY, "Choose your school first.", declared=declared)
    if not key_stages(school):
        return Criterion("performance", title, TO_VERIFY,
                         "The portal has no headline measure for your school's phase; the adviser will verify.",
                         declared=declared)
    outcome = performance_outcome(school, official.results.get(school.pk, SchoolResults()), official.averages, rules)
    figures = outcome.figures
    if (said is True and outcome.state == NOT_MET) or (said is False and outcome.state == MET):
        return Criterion("performance", title, TO_VERIFY,
                         f"Your answer ({declared.lower()}) disagrees with the official data: {outcome.why}. "
                         "The adviser will verify.", declared=declared, official=figures, disagreement=True)
    if said is False and outcome.state != NOT_MET:
        return Criterion("performance", title, NOT_MET,
                         "You said your pupils' results have not been high or improving over the last 3 years. "
                         "You can still apply as working towards eligibility.", declared=declared, official=figures)
    if outcome.state == MET:
        return Criterion("performance", title, MET, f"{_sentence(outcome.why)}.", declared=declared, official=figures)
    if outcome.state == NOT_MET:
        return Criterion("performance", title, NOT_MET,
                         f"{_sentence(outcome.why)}. You can still apply as working towards eligibility.",
                         declared=declared, official=figures)
    return Criterion("performance", title, TO_VERIFY, f"{_sentence(outcome.why)}; the adviser will verify.",
                     declared=declared, official=figures)


def _senior_team(application: Application) -> Criterion:
    title = CRITERIA["senior_team"]
    if application.slt_can_cover is None:
        return Criterion("senior_team", title, TO_VERIFY, "You have not yet said whether your senior team can cover.")
    if not application.slt_can_cover:
        return Criterion("senior_team", title, NOT_MET,
                         "You said your senior team could not yet lead the school while you are away.",
                         declared="No")
    if not application.slt_details.strip():
        return Criterion("senior_team", title, TO_VERIFY, "Say how your senior team will lead while you are away.",
                         declared="Yes")
    return Criterion("senior_team", title, MET, "Your senior team can lead the school while you are away.",
                     declared="Yes")


def _approvals(application: Application) -> Criterion:
    """The governing body's approval is the chair's answer through their link
    (approvals.chair_approval), never the head's own word; the senior team's is the head's."""
    title = CRITERIA["approvals"]
    chair = chair_approval(application)
    refused = [who for who, no in (("the governing body", chair.refused),
                                   ("the senior leadership team", application.slt_approved is False)) if no]
    if refused:
        return Criterion("approvals", title, NOT_MET, f"No approval yet from {_join(refused)}.",
                         declared=f"Chair of governors' link: {chair.label}")
    if not chair.approved:
        return Criterion("approvals", title, TO_VERIFY,
                         "The governing body's approval comes from your chair of governors through the emailed "
                         f"link. Chair's link: {chair.label}.", declared=f"Chair of governors' link: {chair.label}")
    if application.slt_approved is None:
        return Criterion("approvals", title, TO_VERIFY, "Tell us whether the senior leadership team agreed.")
    if application.la_approved_at is None:
        return Criterion("approvals", title, TO_VERIFY,
                         "The governing body and senior team have approved; the LA gives its approval after you apply.")
    return Criterion("approvals", title, MET, "The governing body, senior team and LA have approved.")
