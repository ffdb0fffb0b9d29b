"""Survey results: aggregates, never a small group (docs/programme.md §11.6).

A group (an audience of one survey, one question, or one theme over a year)
with fewer than MIN_GROUP_SIZE people is never shown: with four client heads,
a percentage would say what each one thought.

Results appear only once a survey has closed (impact.surveys.results_shown):
live figures, read before and after one more answer, would say what that one
person answered. For the same reason a year's programme figures count only
surveys (and themes) with at least MIN_GROUP_SIZE respondents, so a small
survey closing never moves them by a few people's answers.

Only reads: opening, answering and publishing are in impact.surveys.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet

from lle_portal.academic_years import academic_year_dates
from lle_portal.models import LocalAuthority

from .models import AGREEING, Answer, Question, Scale, Survey, SurveyInvitation, Theme
from .surveys import results_shown

MIN_GROUP_SIZE = 5
SUPPRESSED_TEXT = "Fewer than 5 responses — not shown"

Status = Survey.Status
Audience = Survey.Audience
AUDIENCE_LABELS: dict[str, str] = {Audience.LLES: "LLE", Audience.CLIENT_HEADS: "Client headteacher"}
THEME_ORDER = (Theme.SATISFACTION, Theme.COLLABORATION, Theme.EXPECTATIONS, Theme.IMPACT)


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ResponseRate:
    invited: int
    responded: int

    @property
    def percent(self) -> Decimal | None:
        return _percent(self.responded, self.invited)


def response_rate(survey: Survey) -> ResponseRate:
    """Responded / invited: invitations, so each deployment asked about counts."""
    counts = SurveyInvitation.objects.filter(survey=survey).aggregate(
        invited=Count("pk"), responded=Count("pk", filter=Q(responded_at__isnull=False))
    )
    return ResponseRate(invited=counts["invited"], responded=counts["responded"])


@dataclass(frozen=True)
class GroupResult:
    invited: int
    respondents: int  # people who answered at least one question of the theme
    agree_percent: Decimal | None  # % agree or strongly agree (scale) / yes (yes-no), 1 d.p.; None when suppressed
    # What the percentage is of: answers agreeing out of answers given (one per
    # respondent when the theme has one question). 0 when suppressed.
    agreeing: int = field(default=0, compare=False)
    answers: int = field(default=0, compare=False)
    # Whether a survey asking this group about the theme closed that year at all:
    # "no survey that year" is not "fewer than 5 responses".
    surveyed: bool = field(default=True, compare=False)
    # "agreed" (agree or strongly agree), "said yes" (a yes-no question), or both.
    verb: str = field(default="agreed", compare=False)

    @property
    def suppressed(self) -> bool:
        return self.respondents < MIN_GROUP_SIZE

    @property
    def status(self) -> str:
        """"not_surveyed", "too_few" or "shown"."""
        if not self.surveyed:
            return "not_surveyed"
        return "too_few" if self.suppressed or self.agree_percent is None else "shown"

    @property
    def agreed_text(self) -> str:
        """What the percentage is of, in words: "6 of 7 respondents agreed (85.7%)"."""
        if self.status == "not_surveyed":
            return "No survey that year"
        if self.status == "too_few":
            return f"Fewer than {MIN_GROUP_SIZE} responses — not shown"
        if self.answers == self.respondents:
            return f"{self.agreeing} of {self.respondents} respondents {self.verb} ({self.agree_percent}%)"
        return (f"{self.agreeing} of {self.answers} answers {self.verb} ({self.agree_percent}%), "
                f"from {self.respondents} respondents")

    @property
    def response_text(self) -> str:
        """The response rate, said separately: "7 of 24 invited responded"."""
        return f"{self.respondents} of {self.invited} invited responded" if self.status == "shown" else ""


def _group(invited: int, respondents: int, agreeing: int, answered: int, surveyed: bool = True,
           verb: str = "agreed") -> GroupResult:
    shown = respondents >= MIN_GROUP_SIZE
    return GroupResult(invited=invited, respondents=respondents,
                       agree_percent=_percent(agreeing, answered) if shown else None,
                       agreeing=agreeing if shown else 0, answers=answered if shown else 0, surveyed=surveyed,
                       verb=verb)


@dataclass(frozen=True)
class ThemeResult:
    theme: str  # "satisfaction" | "collaboration" | "expectations" | "impact"
    label: str  # e.g. "Satisfied with the service"
    lle: GroupResult
    client: GroupResult


def any_surveyed(results: list[ThemeResult]) -> bool:
    """Whether any survey of the programme closed that year (whatever its size)."""
    return any(r.lle.surveyed or r.client.surveyed for r in results)


# Answers that count towards "% agree": scale and yes/no, with their agreeing share.
_CLOSED_KINDS = (Question.Kind.SCALE, Question.Kind.YES_NO)
_AGREES = Q(scale__in=AGREEING) | Q(yes=True)


def _year_surveys(local_authority: LocalAuthority, year: int) -> QuerySet:
    """The LA's closed surveys (results_shown) whose closing date falls in the academic year."""
    start, end = academic_year_dates(year)
    return Survey.objects.filter(local_authority=local_authority, status=Status.CLOSED, closes_on__range=(start, end))


def programme_survey_results(*, local_authority: LocalAuthority, year: int) -> list[ThemeResult]:
    """Each theme, LLEs and client heads side by side, over all the LA's closed
    surveys whose closing date falls in the academic year ending in `year`. Two queries.

    A survey counts towards a theme only when at least MIN_GROUP_SIZE of its
    respondents answered that theme: otherwise a small survey closing would
    move the year's figure by its few people's answers, and the difference
    would show them. Respondents and invited are summed over those surveys
    (a person asked twice in a year counts twice, on both sides)."""
    surveys = _year_surveys(local_authority, year)
    # People answering each theme of each survey, and their answers.
    answered = (
        Answer.objects.filter(question__survey__in=surveys, question__kind__in=_CLOSED_KINDS)
        .exclude(question__theme="")
        .values("question__survey", "question__survey__audience", "question__theme")
        .annotate(respondents=Count("invitation__user", distinct=True), answers=Count("pk"),
                  agreeing=Count("pk", filter=_AGREES),
                  yes_no=Count("pk", filter=Q(question__kind=Question.Kind.YES_NO)))
    )
    # People invited to each survey that asks about each theme.
    invited = (
        # One filter() call: both conditions hold for the same question.
        SurveyInvitation.objects.filter(survey__in=surveys, survey__questions__kind__in=_CLOSED_KINDS,
                                        survey__questions__theme__in=Theme.values)
        .values("survey", "survey__audience", "survey__questions__theme")
        .annotate(people=Count("user", distinct=True))
    )
    people = {(row["survey"], row["survey__questions__theme"]): row["people"] for row in invited}
    # The audiences and themes some survey of the year asked about (however few answered).
    asked = {(row["survey__audience"], row["survey__questions__theme"]) for row in invited}
    counts: dict[tuple[str, str], dict] = defaultdict(
        lambda: {"invited": 0, "respondents": 0, "answers": 0, "agreeing": 0, "yes_no": 0})
    for row in answered:
        if row["respondents"] < MIN_GROUP_SIZE:
            continue
        c = counts[(row["question__survey__audience"], row["question__theme"])]
        c["invited"] += people.get((row["question__survey"], row["question__theme"]), 0)
        c["respondents"] += row["respondents"]
        c["answers"] += row["answers"]
        c["agreeing"] += row["agreeing"]
        c["yes_no"] += row["yes_no"]

    def group(audience: str, theme: str) -> GroupResult:
        c = counts[(audience, theme)]
        verb = "said yes" if c["answers"] and c["yes_no"] == c["answers"] else (
            "agreed or said yes" if c["yes_no"] else "agreed")
        return _group(c["invited"], c["respondents"], c["agreeing"], c["answers"], (audience, theme) in asked, verb)

    return [
        ThemeResult(theme=theme.value, label=theme.label, lle=group(Audience.LLES, theme),
                    client=group(Audience.CLIENT_HEADS, theme))
        for theme in THEME_ORDER
    ]


@dataclass(frozen=True)
class PublishedComment:
    text: str
    audience_label: str  # "Client headteacher" / "LLE"


def _shown_surveys(surveys: QuerySet) -> QuerySet:
    """Surveys with at least MIN_GROUP_SIZE people responding: only theirs are shown."""
    return surveys.annotate(
        people=Count("invitations__user", distinct=True, filter=Q(invitations__responded_at__isnull=False))
    ).filter(people__gte=MIN_GROUP_SIZE)


def published_comments(*, local_authority: LocalAuthority, year: int) -> list[PublishedComment]:
    """Comments the adviser published (with consent) in the year's surveys,
    client heads first, as the Norfolk programme quoted them (docs/programme.md §11.7).
    One query."""
    shown = _shown_surveys(_year_surveys(local_authority, year)).values("pk")
    rows = (
        Answer.objects.filter(question__survey__in=shown, published_at__isnull=False,
                              invitation__consent_to_publish=True)
        .order_by("question__survey__audience", "question__survey__closes_on", "question__position", "published_at",
                  "pk")
        .values_list("text", "question__survey__audience")
    )
    comments = [PublishedComment(text=text, audience_label=AUDIENCE_LABELS[audience]) for text, audience in rows]
    # "client_heads" sorts before "lles", so client heads already come first.
    return comments


# --- one survey's results, for the adviser's page ------------------------------------------


@dataclass(frozen=True)
class QuestionResult:
    question: Question
    respondents: int
    answers: int
    # (label, count, percent) for each point of the scale, or yes and no.
    distribution: tuple[tuple[str, int, Decimal | None], ...]
    agree_percent: Decimal | None

    @property
    def suppressed(self) -> bool:
        return self.respondents < MIN_GROUP_SIZE

    @property
    def is_text(self) -> bool:
        return self.question.kind == Question.Kind.TEXT


@dataclass(frozen=True)
class SurveyResults:
    survey: Survey
    rate: ResponseRate
    respondents: int  # people who answered
    questions: list[QuestionResult]
    themes: list[tuple[str, GroupResult]]  # (label, result) for the themes this survey asks about
    shown: bool = True  # False until the survey closes: only the response rate, nothing else

    @property
    def suppressed(self) -> bool:
        return not self.shown or self.respondents < MIN_GROUP_SIZE


def survey_results(survey: Survey) -> SurveyResults:
    """The survey's aggregates: per question and per theme. Four queries.

    A question's or theme's respondents are some of the survey's, so a survey
    with fewer than five respondents shows nothing at all; an open survey shows
    only its response rate (one query)."""
    rate = response_rate(survey)
    if not results_shown(survey):
        return SurveyResults(survey=survey, rate=rate, respondents=rate.responded, questions=[], themes=[],
                             shown=False)
    respondents = (
        SurveyInvitation.objects.filter(survey=survey).responded().aggregate(n=Count("user", distinct=True))["n"]
    )
    per_point = {f"s{point}": Count("pk", filter=Q(scale=point)) for point in Scale.values}
    rows = {
        row["question"]: row
        for row in Answer.objects.filter(question__survey=survey).values("question").annotate(
            respondents=Count("invitation__user", distinct=True), answers=Count("pk"),
            yes_count=Count("pk", filter=Q(yes=True)), no_count=Count("pk", filter=Q(yes=False)), **per_point,
        )
    }
    results = []
    theme_counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # answers, agreeing
    for question in survey.questions.all():
        row = rows.get(question.pk, {})
        n, people = row.get("answers", 0), row.get("respondents", 0)
        if question.kind == Question.Kind.SCALE:
            points = [(label, row.get(f"s{value}", 0)) for value, label in Scale.choices]
            agreeing = sum(row.get(f"s{value}", 0) for value in AGREEING)
        elif question.kind == Question.Kind.YES_NO:
            points = [("Yes", row.get("yes_count", 0)), ("No", row.get("no_count", 0))]
            agreeing = row.get("yes_count", 0)
        else:
            points, agreeing = [], 0
        if question.theme and question.kind in _CLOSED_KINDS:
            theme_counts[question.theme][0] += n
            theme_counts[question.theme][1] += agreeing
        shown = people >= MIN_GROUP_SIZE
        results.append(QuestionResult(
            question=question, respondents=people, answers=n,
            distribution=tuple((label, count, _percent(count, n)) for label, count in points) if shown else (),
            agree_percent=_percent(agreeing, n) if shown and points else None,
        ))
    theme_people = dict(
        Answer.objects.filter(question__survey=survey, question__kind__in=_CLOSED_KINDS).exclude(question__theme="")
        .values("question__theme").annotate(people=Count("invitation__user", distinct=True))
        .values_list("question__theme", "people")
    )
    themes = [
        (theme.label, _group(rate.invited, theme_people.get(theme.value, 0), theme_counts[theme.value][1],
                             theme_counts[theme.value][0]))
        for theme in THEME_ORDER if theme.value in theme_counts
    ]
    return SurveyResults(survey=survey, rate=rate, respondents=respondents, questions=results, themes=themes)


def consented_comments(survey: Survey) -> QuerySet:
    """Free-text answers whose respondent agreed to publishing: the adviser chooses
    among these once the survey has closed (before, a new one would show who just answered)."""
    if not results_shown(survey):
        return Answer.objects.none()
    return (
        Answer.objects.filter(question__survey=survey, question__kind=Question.Kind.TEXT,
                              invitation__consent_to_publish=True)
        .exclude(text="")
        # The survey and the invitation: what impact.surveys.can_publish reads.
        .select_related("question__survey", "invitation")
        .order_by("question__position", "pk")
    )
