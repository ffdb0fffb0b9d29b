"""Demo data for one local authority (Norfolk), built from the real schools in
lle_portal/data/. Used by `manage.py seed_demo` (and so by `make run`).

Every step is idempotent: records are found by a natural key (URN, email,
measure and year) and updated, never duplicated. Each app adds its own part in
`<app>/demo.py` with a `seed(ctx)` function; the command calls them in the
order of INSTALLED_APPS, which is the order of the dependencies.
"""

from __future__ import annotations

import csv
import random
import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import OutputWrapper
from django.db import transaction
from django.db.models import Avg, Q
from django.utils import timezone

from . import school_calendar
from .models import AreaResult, Inspection, LocalAuthority, School, SchoolResult, User

DATA_DIR = Path(__file__).resolve().parent / "data"
DEMO_PASSWORD = "lle-demo-password"  # noqa: S105  (printed for the demo; never used outside it)
DEMO_DOMAIN = "demo.lle-portal.example"
LATEST_YEAR = 2019
# How many years of results the demo shows: the real 2019 file and two earlier
# years derived from it (see seed_earlier_years).
YEARS = (LATEST_YEAR - 2, LATEST_YEAR - 1, LATEST_YEAR)


# --- school days: every date the demo gives a visit, a deployment or a decision ------
#
# The demo's dates go through `is_school_day` alone: Norfolk's term calendar
# (lle_portal.school_calendar), which the demo leaves at England's usual pattern.


def is_school_day(day: date) -> bool:
    """Whether Norfolk's schools are open on `day`."""
    return school_calendar.calendar_for(None).is_school_day(day)


def school_day_on_or_after(day: date) -> date:
    return school_calendar.calendar_for(None).next_school_day(day)


def school_day_on_or_before(day: date) -> date:
    return school_calendar.calendar_for(None).last_school_day(day)


@dataclass
class DemoContext:
    """What one step leaves for the next: the LA, its people and schools."""

    out: OutputWrapper  # the command's stdout
    la: LocalAuthority | None = None
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role, name, email)
    people: dict[str, User] = field(default_factory=dict)
    headteachers: list[User] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(2026))
    # Hashed once: hashing the demo password for each of ~50 people takes a minute.
    password_hash: str = field(default_factory=lambda: make_password(DEMO_PASSWORD))

    def say(self, message: str) -> None:
        self.out.write(message + "\n")

    def login(self, key: str, *, email: str, full_name: str, role: str, **extra) -> User:
        school = extra.get("school")
        if school is not None and role in (User.Role.HEADTEACHER, User.Role.GOVERNOR):
            # The demo's people are set up by its adviser, so their school links
            # are granted, as an invitation grants them; a school keeps one
            # confirmed head (a second would wait as a claim).
            taken = role == User.Role.HEADTEACHER and (
                User.objects.filter(User.confirmed_heads_q(active=False), school=school).exclude(email=email).exists()
            )
            if not taken:
                extra.setdefault("school_confirmed_at", timezone.now())
                extra.setdefault("school_confirmed_by", self.people.get("adviser"))
        user, _ = User.objects.update_or_create(
            email=email, defaults={"full_name": full_name, "role": role, "password": self.password_hash, **extra}
        )
        self.people[key] = user
        self.logins.append((user.get_role_display(), full_name, email))
        return user


def _norfolk_rows(source: Path, target: Path) -> int:
    """Copy the rows of a national performance file whose school has an NR postcode."""
    with source.open(newline="", encoding="utf-8-sig") as src, target.open("w", newline="", encoding="utf-8") as dst:
        reader = csv.DictReader(src)
        assert reader.fieldnames is not None  # the national files have a header row
        writer = csv.DictWriter(dst, fieldnames=reader.fieldnames)
        writer.writeheader()
        count = 0
        for row in reader:
            if row.get("PCODE", "").upper().startswith("NR"):
                writer.writerow(row)
                count += 1
    return count


def seed_schools(ctx: DemoContext, *, national: bool = False) -> None:
    """Schools from the demo GIAS extract, then the real 2019 results."""
    quiet = {"stdout": ctx.out, "verbosity": 0}
    call_command("import_gias", str(DATA_DIR / "gias_norfolk.csv"), **quiet)
    with tempfile.TemporaryDirectory() as tmp:
        for key_stage in ("ks2", "ks4"):
            source = DATA_DIR / f"england_{key_stage}final.csv"
            if not national:
                # The demo is about Norfolk: importing its rows keeps `make run` quick.
                target = Path(tmp) / source.name
                _norfolk_rows(source, target)
                source = target
            call_command("import_performance", str(source), year=LATEST_YEAR, **quiet)
    ctx.la = LocalAuthority.objects.get(code="926")
    ctx.say(f"Schools: {ctx.la.schools.count()} in {ctx.la.name}, {School.objects.count()} in all.")


@transaction.atomic
def seed_earlier_years(ctx: DemoContext) -> None:
    """Derive 2017 and 2018 results for the LA's schools from their 2019 results.

    The shipped files hold one year; the demo needs a trend. Each earlier value
    is the 2019 value moved by a small, deterministic random step, and a
    missing 2019 value stays missing with its marker.
    """
    latest = SchoolResult.objects.filter(school__local_authority=ctx.la, year=LATEST_YEAR)
    rows = []
    for result in latest.iterator():
        rng = random.Random(f"{result.school_id}-{result.measure}")
        value = result.value
        for year in reversed(YEARS[:-1]):
            if value is not None:
                step = Decimal(str(round(rng.uniform(-0.6, 0.3), 2)))
                if result.measure.startswith("PT") or result.measure in ("ATT8SCR",):
                    step *= 8
                value = value + step
                if result.measure.startswith("PT"):
                    value = min(max(value, Decimal(0)), Decimal(100))
            rows.append(
                SchoolResult(
                    school_id=result.school_id, key_stage=result.key_stage, measure=result.measure, year=year,
                    value=value, marker=result.marker,
                )
            )
    SchoolResult.objects.bulk_create(
        rows, batch_size=2000, update_conflicts=True,
        unique_fields=["school", "key_stage", "measure", "year"], update_fields=["value", "marker"],
    )
    # The LA average as the performance tables would publish it.
    averages = (
        SchoolResult.objects.filter(school__local_authority=ctx.la, value__isnull=False)
        .values("key_stage", "measure", "year")
        .annotate(average=Avg("value"))
    )
    assert ctx.la is not None  # seed_la ran first
    for row in averages:
        AreaResult.objects.update_or_create(
            area_code=ctx.la.code, key_stage=row["key_stage"], measure=row["measure"], year=row["year"],
            defaults={"local_authority": ctx.la, "value": round(row["average"], 2), "marker": ""},
        )
    ctx.say(f"Results: {len(rows)} derived for {YEARS[0]}–{YEARS[-2]}, LA averages for {len(YEARS)} years.")


# --- the demo of 2026: results 2023-2025 and inspections under every framework ---------

RECENT_YEARS = (2023, 2024, 2025)
# The published England averages of the KS2 headline (% reaching the expected
# standard in reading, writing and maths), real figures.
KS2_ENGLAND = {2023: Decimal(60), 2024: Decimal(61), 2025: Decimal(62)}
# KS4 Attainment 8 for England: illustrative, close to the published figures.
KS4_ENGLAND = {2023: Decimal("46.3"), 2024: Decimal("45.9"), 2025: Decimal("45.9")}


def _clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return min(max(value, low), high).quantize(Decimal("0.1"))


def _walk(rng: random.Random, start: Decimal, spread: float, low: Decimal, high: Decimal) -> list[Decimal]:
    """Three yearly values: a start, then a steady trend with a little noise."""
    trend = Decimal(str(round(rng.uniform(-spread, spread), 2)))
    values = []
    for i in range(len(RECENT_YEARS)):
        noise = Decimal(str(round(rng.uniform(-spread / 3, spread / 3), 2)))
        values.append(_clamp(start + trend * i + noise, low, high))
    return values


@transaction.atomic
def seed_recent_years(ctx: DemoContext, *, national: bool = False) -> None:
    """ILLUSTRATIVE results for 2023, 2024 and 2025, derived from each school's
    real 2019 results by a stated, seeded method (the README says so too), for
    the LA's schools or, with `national`, for every school of the national
    files (the same values for the LA's schools either way):

    - KS2 headline PTRWM_EXP: 60% + 4 x the school's mean 2019 progress score,
      then a per-school trend of up to ±4 points a year and ±1.3 of noise
      (random.Random seeded with "recent-<URN>"); progress scores for 2023
      only (2019 score ±1), as none were published for 2024 and 2025.
    - KS4 Attainment 8: the 2019 score, trend up to ±2 a year; Progress 8 for
      2023 and 2024 (2019 ±0.2) and "NP" for 2025, when none was published;
      PTL2BASICS_95 the 2019 value with a trend, PTL2BASICS_94 about 20 points above.
    - A school whose 2019 values were suppressed keeps them suppressed.
    """
    rows: dict[tuple[int, str, str, int], SchoolResult] = {}

    def put(school_id: int, key_stage: str, measure: str, year: int, value, marker: str = "") -> None:
        rows[(school_id, key_stage, measure, year)] = SchoolResult(
            school_id=school_id, key_stage=key_stage, measure=measure, year=year,
            value=value, marker="" if value is not None else (marker or "SUPP"),
        )

    latest: dict[tuple[int, str], dict[str, tuple[Decimal | None, str]]] = {}
    urns: dict[int, int] = {}
    latest_results = SchoolResult.objects.filter(year=LATEST_YEAR)
    if not national:
        latest_results = latest_results.filter(school__local_authority=ctx.la)
    for school_id, urn, key_stage, measure, value, marker in latest_results.values_list(
        "school_id", "school__urn", "key_stage", "measure", "value", "marker"
    ).iterator(chunk_size=5000):
        latest.setdefault((school_id, key_stage), {})[measure] = (value, marker)
        urns[school_id] = urn
    for (school_id, key_stage), values in latest.items():
        rng = random.Random(f"recent-{urns[school_id]}")
        if key_stage == "KS2":
            progress = [v for m in ("READPROG", "WRITPROG", "MATPROG")
                        if (v := values.get(m, (None, ""))[0]) is not None]
            if not progress:
                for year in RECENT_YEARS:
                    put(school_id, "KS2", "PTRWM_EXP", year, None, values.get("READPROG", (None, "SUPP"))[1])
                continue
            start = Decimal(60) + 4 * sum(progress, Decimal(0)) / len(progress)
            for year, value in zip(RECENT_YEARS, _walk(rng, start, 4, Decimal(5), Decimal(100)), strict=True):
                put(school_id, "KS2", "PTRWM_EXP", year, value)
            for m in ("READPROG", "WRITPROG", "MATPROG"):
                v, marker = values.get(m, (None, "SUPP"))
                put(school_id, "KS2", m, 2023,
                    None if v is None else _clamp(v + Decimal(str(round(rng.uniform(-1, 1), 1))), Decimal(-40),
                                                  Decimal(40)), marker)
        elif key_stage == "KS4":
            att8, marker = values.get("ATT8SCR", (None, "SUPP"))
            if att8 is None:
                for year in RECENT_YEARS:
                    put(school_id, "KS4", "ATT8SCR", year, None, marker)
                continue
            for year, value in zip(RECENT_YEARS, _walk(rng, att8, 2, Decimal(0), Decimal(90)), strict=True):
                put(school_id, "KS4", "ATT8SCR", year, value)
            p8, p8_marker = values.get("P8MEA", (None, "NP"))
            for year in (2023, 2024):
                put(school_id, "KS4", "P8MEA", year,
                    None if p8 is None else _clamp(p8 + Decimal(str(round(rng.uniform(-0.2, 0.2), 2))),
                                                   Decimal(-9), Decimal(9)), p8_marker)
            put(school_id, "KS4", "P8MEA", 2025, None, "NP")
            basics = values.get("PTL2BASICS_95", (None, "SUPP"))[0]
            if basics is not None:
                for year, value in zip(RECENT_YEARS, _walk(rng, basics, 3, Decimal(0), Decimal(100)), strict=True):
                    put(school_id, "KS4", "PTL2BASICS_95", year, value)
                    put(school_id, "KS4", "PTL2BASICS_94", year, _clamp(value + 20, Decimal(0), Decimal(100)))
    SchoolResult.objects.bulk_create(
        list(rows.values()), batch_size=2000, update_conflicts=True,
        unique_fields=["school", "key_stage", "measure", "year"], update_fields=["value", "marker"],
    )
    for key_stage, measure, england in (("KS2", "PTRWM_EXP", KS2_ENGLAND), ("KS4", "ATT8SCR", KS4_ENGLAND)):
        for year, value in england.items():
            AreaResult.objects.update_or_create(
                area_code=AreaResult.ENGLAND, key_stage=key_stage, measure=measure, year=year,
                defaults={"value": value, "marker": ""},
            )
    averages = (
        SchoolResult.objects.filter(school__local_authority=ctx.la, value__isnull=False, year__in=RECENT_YEARS)
        .values("key_stage", "measure", "year").annotate(average=Avg("value"))
    )
    assert ctx.la is not None  # seed_la ran first
    for row in averages:
        AreaResult.objects.update_or_create(
            area_code=ctx.la.code, key_stage=row["key_stage"], measure=row["measure"], year=row["year"],
            defaults={"local_authority": ctx.la, "value": round(row["average"], 2), "marker": ""},
        )
    seed_recent_inspections(ctx)
    ctx.say(f"Results: {len(rows)} illustrative for {RECENT_YEARS[0]}–{RECENT_YEARS[-1]}, derived from 2019"
            f"{' (every school in England)' if national else ''}.")


# Report-card leadership and governance from the last graded overall grade
# (1 outstanding .. 4 inadequate): the usual outcome, then a less likely one.
REPORT_CARD_FROM_GRADE = {1: (2, 1), 2: (3, 2), 3: (3, 4), 4: (4, 5)}


@transaction.atomic
def seed_recent_inspections(ctx: DemoContext) -> None:
    """ILLUSTRATIVE inspections under the three frameworks for the LA's schools,
    from each school's real last rating (random.Random seeded with
    "inspection-<URN>"): about 4 in 10 a report card (November 2025 to
    November 2026), 3 in 10 an inspection without an overall grade
    (September 2024 to October 2025), 2 in 10 a graded inspection (2021-2024)
    and the rest a graded inspection followed by an ungraded one."""
    latest = {}
    # From the real ratings only, so that running the demo again changes nothing.
    real = Inspection.objects.filter(school__local_authority=ctx.la).exclude(source="demo")
    for inspection in real.select_related("school").order_by("inspection_date"):
        latest[inspection.school_id] = inspection
    new: list[Inspection] = []
    for school_id, before in latest.items():
        grade = before.overall_effectiveness or before.leadership_and_management
        if not grade:
            continue
        rng = random.Random(f"inspection-{before.school.urn}")
        roll = rng.random()

        def day(start: date, days: int, rng: random.Random = rng) -> date:
            # Ofsted inspects when the school is open: never at a weekend or in the holidays.
            return school_day_on_or_before(start + timedelta(days=rng.randrange(days)))

        if roll < 0.4:
            usual, other = REPORT_CARD_FROM_GRADE[grade]
            leadership = usual if rng.random() < 0.8 else other
            areas = {key: max(1, min(5, leadership + rng.choice((-1, 0, 0, 0, 1))))
                     for key in ("inclusion", "curriculum_and_teaching", "achievement", "attendance_and_behaviour",
                                 "personal_development_and_wellbeing")}
            areas["leadership_and_governance"] = leadership
            if before.school.phase in (School.Phase.PRIMARY, School.Phase.NURSERY):
                areas["early_years"] = areas["curriculum_and_teaching"]
            new.append(Inspection(
                school_id=school_id, inspection_date=day(date(2025, 11, 10), 380), framework="report_card",
                inspection_type="report_card", evaluation_areas=areas, source="demo",
                safeguarding="not_met" if leadership == 5 else "met",
            ))
        elif roll < 0.7:
            leadership = max(1, min(4, grade + rng.choice((-1, 0, 0, 0, 1))))
            new.append(Inspection(
                school_id=school_id, inspection_date=day(date(2024, 9, 16), 400), framework="no_overall_grade",
                inspection_type="graded", leadership_and_management=leadership, source="demo", safeguarding="met",
                judgements={"quality_of_education": leadership, "behaviour_and_attitudes": max(1, leadership - 1),
                            "personal_development": leadership},
            ))
        else:
            graded_on = day(date(2021, 9, 6), 1000)
            new.append(Inspection(
                school_id=school_id, inspection_date=graded_on, framework="graded", inspection_type="graded",
                overall_effectiveness=grade, leadership_and_management=grade, source="demo", safeguarding="met",
                judgements={"quality_of_education": grade, "behaviour_and_attitudes": grade,
                            "personal_development": grade},
            ))
            if roll >= 0.9 and grade <= 2:
                new.append(Inspection(
                    school_id=school_id, inspection_date=day(date(2024, 10, 1), 400), framework="no_overall_grade",
                    inspection_type="ungraded", source="demo",
                    ungraded_outcome=f"School remains {Inspection.Grade(grade).label}",
                ))
    Inspection.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    ctx.say(f"Inspections: {len(new)} illustrative under the 2024 and report-card frameworks.")


def settle_demo_school(school: School, *, falling: bool = False) -> None:
    """Give a demo applicant's school illustrative recent data that agrees with
    its story: results rising over 2023-2025 (or, with `falling`, falling
    below the England average), and no illustrative inspection that would
    make the head ineligible (the demo heads apply; the data must let them)."""
    from .schooldata import GOOD, inspection_records, leadership_outcome

    secondary = school.phase == School.Phase.SECONDARY
    key_stage, measure, low, high = (("KS4", "ATT8SCR", Decimal(0), Decimal(90)) if secondary
                                     else ("KS2", "PTRWM_EXP", Decimal(0), Decimal(100)))
    step = Decimal(1) if key_stage == "KS4" else Decimal(2)
    first = SchoolResult.objects.filter(school=school, measure=measure, year=RECENT_YEARS[0]).first()
    base = first.value if first and first.value is not None else (Decimal(44) if key_stage == "KS4" else Decimal(60))
    values = ([Decimal(61), Decimal(57), Decimal(52)] if falling
              else [_clamp(base + step * i, low, high) for i in range(3)])
    for year, value in zip(RECENT_YEARS, values, strict=True):
        SchoolResult.objects.update_or_create(school=school, key_stage=key_stage, measure=measure, year=year,
                                              defaults={"value": value, "marker": ""})
    for _ in range(3):  # at most one demo inspection of each kind to take back
        record = inspection_records([school.pk])[school.pk]
        latest = record.latest
        if latest is None or latest.source != "demo" or leadership_outcome(record).state == GOOD:
            break
        latest.delete()


def feature_demo_heads(ctx: DemoContext) -> None:
    """The demo's first head leads a school with good 2023-2025 results and a
    report card at the expected standard (every data criterion met); the
    second head's school has falling results (the performance criterion not
    met, explained). Illustrative, like the rest of the recent data."""
    if len(ctx.headteachers) < 2:
        return
    for i, head in enumerate(ctx.headteachers):
        assert head.school is not None  # seed_people gives each head a school
        settle_demo_school(head.school, falling=i == 1)
    first = ctx.headteachers[0].school
    assert first is not None
    first.inspections.filter(inspection_date__gte=date(2021, 1, 1)).delete()
    Inspection.objects.create(
        school=first, inspection_date=date(2026, 2, 3), publication_date=date(2026, 3, 10), framework="report_card",
        inspection_type="report_card", safeguarding="met", source="demo",
        evaluation_areas={"inclusion": 3, "curriculum_and_teaching": 3, "achievement": 3,
                          "attendance_and_behaviour": 2, "personal_development_and_wellbeing": 3,
                          "early_years": 3, "leadership_and_governance": 3},
    )
    SchoolResult.objects.filter(school=first, measure="PTRWM_EXP", year__in=RECENT_YEARS).delete()
    for year, value in zip(RECENT_YEARS, (66, 69, 72), strict=True):
        SchoolResult.objects.create(school=first, key_stage="KS2", measure="PTRWM_EXP", year=year, value=value)


def seed_people(ctx: DemoContext) -> None:
    """The adviser, an assessor, a governor and the headteachers of good schools."""
    la = ctx.la
    assert la is not None  # seed_la ran first
    adviser = ctx.login(
        "adviser", email=f"adviser@{DEMO_DOMAIN}", full_name="Sarah Whitfield", role=User.Role.ADVISER,
        job_title="LA lead adviser, school improvement",
    )
    adviser.local_authorities.set([la])
    ctx.login(
        "assessor", email=f"assessor@{DEMO_DOMAIN}", full_name="David Okafor", role=User.Role.ASSESSOR,
        job_title="Designation panel member",
    )
    # Heads of schools whose latest inspection was good or outstanding: the pool
    # of applicants and LLEs. Deterministic order, so a re-run picks the same.
    good = (
        Inspection.objects.filter(school__local_authority=la, overall_effectiveness__in=[1, 2])
        .values_list("school_id", flat=True)
    )
    schools = list(
        School.objects.filter(pk__in=good).filter(~Q(head_name="")).order_by("urn")[:40]
    )
    ctx.headteachers = []
    for school in schools:
        local = school.head_name.lower().replace(" ", ".").replace("'", "")
        for title in ("mr.", "mrs.", "ms.", "miss.", "dr."):
            local = local.removeprefix(title)
        user = ctx.login(
            f"head-{school.urn}", email=f"{local}.{school.urn}@{DEMO_DOMAIN}", full_name=school.head_name,
            role=User.Role.HEADTEACHER, school=school, job_title="Headteacher",
        )
        ctx.headteachers.append(user)
    # Only the first head is listed among the demo logins; the others exist for the data.
    ctx.logins = [entry for entry in ctx.logins if entry[0] != "Headteacher"]
    if ctx.headteachers:
        first = ctx.headteachers[0]
        ctx.logins.append(("Headteacher (applicant)", first.full_name, first.email))
        governor_school = first.school
        assert governor_school is not None
        ctx.login(
            "governor", email=f"governor@{DEMO_DOMAIN}", full_name="Margaret Ellis", role=User.Role.GOVERNOR,
            school=governor_school, job_title=f"Chair of governors, {governor_school.name}",
        )
        # One claim waiting in the adviser's queue (Staff pages → School links):
        # someone registered as head of a school that already has a confirmed
        # head, so the queue flags it.
        User.objects.update_or_create(
            email=f"claimant.{governor_school.urn}@{DEMO_DOMAIN}",
            defaults={"full_name": "Jordan Price", "role": User.Role.HEADTEACHER, "school": governor_school,
                      "password": ctx.password_hash, "school_confirmed_at": None, "school_confirmed_by": None},
        )
    ctx.say(f"People: {len(ctx.headteachers)} headteachers, an adviser, an assessor and a governor.")


def seed(ctx: DemoContext, *, national: bool = False) -> None:
    seed_schools(ctx, national=national)
    seed_earlier_years(ctx)
    seed_recent_years(ctx, national=national)
    seed_people(ctx)
    feature_demo_heads(ctx)
