"""The national-scale data set of `make bench`, built fast with bulk inserts.

    build_base()      the schools of England (the real files, through the
                      importers), 5 years of results, 300 LLEs, one unit of
                      programme data and the people whose pages are measured
    add_units(n)      n more units (the "10x" data set is the base plus 9)

One unit: 1,000 deployments (3 objectives and 20 records of visit each, so
20,000 records), their 1,000 support needs and 200 open ones, 500 applications
in the open round, and the reimbursement lines of the confirmed visits of past
terms. The 300 LLEs and the rounds stay as they are: places are limited to 300
nationally (docs/programme.md §2.3), so more data means more deployments per LLE.

PostgreSQL only (the results of earlier years are derived in SQL). Everything is
deterministic (fixed seeds) so two runs measure the same pages.
"""

from __future__ import annotations

import random
import re
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from applications.models import (
    Application,
    ApplicationRound,
    Assessment,
    LLEProfile,
    RefereeNomination,
    Specialism,
)
from deployments.models import (
    Activity,
    Deployment,
    Objective,
    ReimbursementLine,
    ReimbursementStatement,
    SupportNeed,
    VisitRecord,
    add_months,
)
from deployments.terms import previous_term, term_for
from lle_portal.models import AreaResult, Inspection, LocalAuthority, School, SchoolResult, User

DATA_DIR = Path(settings.BASE_DIR) / "lle_portal" / "data"
DOMAIN = "bench.lle-portal.example"
LATEST_YEAR = 2019
YEARS = tuple(range(LATEST_YEAR - 4, LATEST_YEAR + 1))  # 5 years: 2015-2019

LLES = 300
DEPLOYMENTS_PER_UNIT = 1_000
OPEN_NEEDS_PER_UNIT = 200
APPLICATIONS_PER_UNIT = 500
OBJECTIVES_PER_DEPLOYMENT = 3
VISITS_PER_DEPLOYMENT = 20
BATCH = 5_000

SPECIALISMS = list(Specialism.values)
PHASE_OF_SCHOOL = {
    School.Phase.PRIMARY: "primary", School.Phase.MIDDLE_PRIMARY: "primary",
    School.Phase.SECONDARY: "secondary", School.Phase.MIDDLE_SECONDARY: "secondary",
    School.Phase.ALL_THROUGH: "all_through", School.Phase.NURSERY: "nursery",
}
# Deployment states across a unit, as a share of 100 (most are active).
STATUS_MIX = (
    [Deployment.Status.ACTIVE] * 60 + [Deployment.Status.AGREED] * 8 + [Deployment.Status.PROPOSED] * 10
    + [Deployment.Status.COMPLETED] * 17 + [Deployment.Status.ENDED_EARLY] * 5
)
APPLICATION_MIX = (
    [Application.Status.DRAFT] * 20 + [Application.Status.SUBMITTED] * 30 + [Application.Status.VERIFIED] * 20
    + [Application.Status.ASSESSED] * 20 + [Application.Status.DESIGNATED] * 5
    + [Application.Status.NOT_DESIGNATED] * 5
)


def say(message: str) -> None:
    print(f"  {message}", flush=True)


class Timer:
    def __init__(self, what: str):
        self.what = what

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            say(f"{self.what}: {time.perf_counter() - self.start:.1f} s")


# --- schools and results -------------------------------------------------------------


def import_schools() -> None:
    """The real files, through the portal's own importers (as an adviser would)."""
    quiet = {"verbosity": 0, "no_progress": True}
    with Timer("GIAS (Norfolk extract)"):
        call_command("import_gias", str(DATA_DIR / "gias_norfolk.csv"), **quiet)
    for key_stage in ("ks2", "ks4"):
        with Timer(f"{key_stage.upper()} national file, {LATEST_YEAR}"):
            call_command("import_performance", str(DATA_DIR / f"england_{key_stage}final.csv"),
                         year=LATEST_YEAR, **quiet)


def postcode_area(postcode: str) -> str:
    match = re.match(r"[A-Z]{1,2}", postcode.strip().upper())
    return match.group(0) if match else "ZZ"


def assign_local_authorities() -> None:
    """The national files have no LA column: schools GIAS did not place are put
    in one LA per postcode area (NR is Norfolk's), so that every school has an
    adviser and the LA averages exist."""
    norfolk = LocalAuthority.objects.filter(code="926").first()
    by_area: dict[str, list[int]] = defaultdict(list)
    for pk, postcode in School.objects.filter(local_authority__isnull=True).values_list("pk", "postcode"):
        by_area[postcode_area(postcode)].append(pk)
    for index, area in enumerate(sorted(by_area)):
        if area == "NR" and norfolk:
            la = norfolk
        else:
            # Made-up three-character codes: no real DfE code starts with a letter.
            code = f"{chr(ord('A') + index // 100)}{index % 100:02d}"
            la, _ = LocalAuthority.objects.get_or_create(code=code, defaults={"name": f"Postcode area {area}"})
        School.objects.filter(pk__in=by_area[area]).update(local_authority=la)
    say(f"local authorities: {LocalAuthority.objects.count()}")


def _sql(statement: str, params: list | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
        return cursor.rowcount


def derive_results() -> None:
    """Five years of results from the one year in the files, with the measure
    each year really published (lle_portal/imports/measures.py):

    - KS2 2016-2019: the progress scores and PTRWM_EXP (% expected standard in
      reading, writing and maths); the file has only the progress scores, so
      PTRWM_EXP is derived from them. KS2 2015: PTREADWRITTAMATX (Level 4+).
    - KS4 2016-2019: Progress 8, Attainment 8 and the EBacc measures;
      PTL2BASICS_95 (grade 5+) from 2017, when grades 9-1 began. KS4 2015 had
      none of the measures the portal stores (5 A*-C), so it has no rows.

    Earlier years are the 2019 value moved by noise; a missing value stays
    missing with its marker.
    """
    table = SchoolResult._meta.db_table
    _sql("SELECT setseed(0.2019)")
    ks2_progress = ("READPROG", "WRITPROG", "MATPROG")
    ks4 = {"P8MEA": 0.3, "ATT8SCR": 3, "EBACCAPS": 0.4, "PTEBACC_E_PTQ_EE": 6, "PTL2BASICS_95": 6}
    insert = f"INSERT INTO {table} (school_id, key_stage, measure, year, value, marker) "  # noqa: S608
    conflict = " ON CONFLICT (school_id, key_stage, measure, year) DO NOTHING"
    rows = 0
    # Progress scores (and KS4 measures) of 2016-2018: the 2019 value plus noise.
    for measure, spread in [*((m, 1.5) for m in ks2_progress), *ks4.items()]:
        first = 2017 if measure == "PTL2BASICS_95" else 2016
        clip = ("LEAST(100, GREATEST(0, {}))" if measure.startswith("PT") else "{}")
        rows += _sql(
            insert + "SELECT school_id, key_stage, measure, y, CASE WHEN value IS NULL THEN NULL ELSE "  # noqa: S608
            + clip.format(f"ROUND((value + (random() - 0.5) * {spread * 2})::numeric, 2)")
            + " END, marker FROM " + table + " CROSS JOIN generate_series(%s, %s) AS y "
            "WHERE year = %s AND measure = %s" + conflict,
            [first, LATEST_YEAR - 1, LATEST_YEAR, measure],
        )
    # The KS2 headline, from the school's mean progress that year (2015's
    # Level 4+ measure from 2016's progress: the year before, shifted).
    headline = (
        "SELECT school_id, 'KS2', %s, year + %s, CASE WHEN COUNT(value) = 0 THEN NULL ELSE "  # noqa: S608
        "LEAST(100, GREATEST(0, ROUND((%s + 4 * AVG(value) + (random() - 0.5) * 8)::numeric, 2))) END, "
        "CASE WHEN COUNT(value) = 0 THEN 'SUPP' ELSE '' END FROM " + table
        + " WHERE key_stage = 'KS2' AND measure IN ('READPROG', 'WRITPROG', 'MATPROG') AND year BETWEEN %s AND %s "
        "GROUP BY school_id, year"
    )
    rows += _sql(insert + headline + conflict, ["PTRWM_EXP", 0, 65, 2016, LATEST_YEAR])
    rows += _sql(insert + headline + conflict, ["PTREADWRITTAMATX", -1, 80, 2016, 2016])
    # LA and England averages, as the performance tables publish them.
    area = AreaResult._meta.db_table
    school = School._meta.db_table
    la = LocalAuthority._meta.db_table
    _sql(
        f"INSERT INTO {area} (area_code, local_authority_id, key_stage, measure, year, value, marker) "  # noqa: S608
        f"SELECT la.code, la.id, r.key_stage, r.measure, r.year, ROUND(AVG(r.value)::numeric, 2), '' "
        f"FROM {table} r JOIN {school} s ON s.id = r.school_id JOIN {la} la ON la.id = s.local_authority_id "
        "WHERE r.value IS NOT NULL GROUP BY la.code, la.id, r.key_stage, r.measure, r.year "
        "ON CONFLICT (area_code, key_stage, measure, year) DO NOTHING"
    )
    _sql(
        f"INSERT INTO {area} (area_code, local_authority_id, key_stage, measure, year, value, marker) "  # noqa: S608
        f"SELECT %s, NULL, key_stage, measure, year, ROUND(AVG(value)::numeric, 2), '' FROM {table} "
        "WHERE value IS NOT NULL GROUP BY key_stage, measure, year "
        "ON CONFLICT (area_code, key_stage, measure, year) DO NOTHING",
        [AreaResult.ENGLAND],
    )
    say(f"results: {rows:,} derived; {SchoolResult.objects.count():,} in all over {len(YEARS)} years")


# --- people and the programme --------------------------------------------------------


class Builder:
    """Hands out schools and people in a fixed order, so two runs build the same data."""

    def __init__(self):
        self.rng = random.Random(2026)
        self.today = timezone.localdate()
        self.password = make_password(None)  # nobody signs in: the benchmark makes sessions
        schools = list(
            School.objects.filter(latitude__isnull=False, local_authority__isnull=False)
            .exclude(phase="").order_by("urn").values_list("pk", "phase", "local_authority_id", "name", "head_name")
        )
        random.Random(7).shuffle(schools)
        self.schools = schools
        used = set(User.objects.filter(school__isnull=False).values_list("school_id", flat=True))
        used |= set(SupportNeed.objects.values_list("client_school_id", flat=True))
        self.free = [s for s in schools if s[0] not in used]
        self.next_user = User.objects.filter(email__endswith=f"@{DOMAIN}").count()

    def take_schools(self, n: int) -> list[tuple]:
        if len(self.free) < n:
            raise RuntimeError(f"Only {len(self.free)} schools left for {n} more people.")
        taken, self.free = self.free[:n], self.free[n:]
        return taken

    def heads(self, schools: list[tuple], kind: str) -> list[User]:
        users = []
        for school in schools:
            self.next_user += 1
            users.append(User(
                email=f"{kind}-{self.next_user}@{DOMAIN}", full_name=school[4] or f"Head {self.next_user}",
                role=User.Role.HEADTEACHER, is_staff=False, school_id=school[0], password=self.password,
                # Confirmed, as an adviser's invitation leaves them: a school link counts only once granted
                # (lle_portal.access.acts_for_school), and each school here has one head.
                job_title="Headteacher", school_confirmed_at=timezone.now(),
            ))
        return User.objects.bulk_create(users, batch_size=BATCH)


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=10))


def build_rounds_and_lles(b: Builder) -> None:
    """A closed round that designated the 300 LLEs, and the open round."""
    all_las = list(LocalAuthority.objects.all())
    now = timezone.now()
    past = ApplicationRound.objects.create(
        name="National LLE designation 2024", opens_at=now - timedelta(days=700), closes_at=now - timedelta(days=640),
        decisions_by=b.today - timedelta(days=600), places=LLES,
    )
    current = ApplicationRound.objects.create(
        name="National LLE recruitment (open)", opens_at=now - timedelta(days=20), closes_at=now + timedelta(days=40),
        decisions_by=b.today - timedelta(days=1), places=LLES, priority_phases=["secondary"],
    )
    for round_ in (past, current):
        round_.local_authorities.set(all_las)

    # LLEs: heads of schools whose latest inspection was good or outstanding.
    good = set(Inspection.objects.filter(overall_effectiveness__in=[1, 2]).values_list("school_id", flat=True))
    picked = [s for s in b.free if s[0] in good][:LLES]
    picked_ids = {s[0] for s in picked}
    b.free = [s for s in b.free if s[0] not in picked_ids]
    users = b.heads(picked, "lle")
    designated_on = b.today - timedelta(days=600)
    applications = Application.objects.bulk_create([
        Application(
            round=past, applicant=user, school_id=user.school_id, status=Application.Status.DESIGNATED,
            reference_number=f"LLE24-{i:05d}", submitted_at=now - timedelta(days=650),
            decision=Application.Decision.DESIGNATED, decided_at=now - timedelta(days=610),
            decision_emailed_at=now - timedelta(days=600), capacity="1.0",
        )
        for i, user in enumerate(users)
    ], batch_size=BATCH)
    LLEProfile.objects.bulk_create([
        LLEProfile(
            user=user, school_id=school[0], application=application,
            phase=PHASE_OF_SCHOOL.get(school[1], "primary"),
            specialisms=b.rng.sample(SPECIALISMS, 3),
            days_per_week=Decimal("1.0") if i % 3 else Decimal("0.5"),
            designated_on=designated_on, trained_on=designated_on + timedelta(days=45),
        )
        for i, (user, school, application) in enumerate(zip(users, picked, applications, strict=True))
    ], batch_size=BATCH)
    say(f"rounds: 2; LLEs: {LLEProfile.objects.count()}")


def add_applications(b: Builder, count: int) -> None:
    current = ApplicationRound.objects.get(name="National LLE recruitment (open)")
    assessor = User.objects.get(email=f"assessor@{DOMAIN}")
    schools = b.take_schools(count)
    users = b.heads(schools, "applicant")
    now = timezone.now()
    start = Application.objects.filter(round=current).count()
    rows = []
    for i, user in enumerate(users):
        status = APPLICATION_MIX[(start + i) % len(APPLICATION_MIX)]
        submitted = status != Application.Status.DRAFT
        decision = status if status in Application.Decision.values else ""
        rows.append(Application(
            round=current, applicant=user, school_id=user.school_id, status=status,
            reference_number=f"LLE26-{start + i:06d}" if submitted else None,
            submitted_at=now - timedelta(days=b.rng.randint(1, 19)) if submitted else None,
            decision=decision, decided_at=now if decision else None,
            appointed_head_on=date(2015 + i % 8, 9, 1), previous_headship_years=Decimal(i % 4),
            declared_inspection_date=date(2019, 1 + i % 12, 10), declared_overall_effectiveness=1 + i % 2,
            declared_leadership=1 + i % 2, declared_above_floor=Application.YesNoUnsure.YES,
            performance_summary="Results above the national average for three years.",
            slt_can_cover=True, slt_details="The deputy head leads on the days I am away.",
            phase_offered=PHASE_OF_SCHOOL.get(schools[i][1], "primary"), specialisms=b.rng.sample(SPECIALISMS, 2),
            impact_on_outcomes="Attainment rose from 55% to 78% over four years.",
            school_improvement="Led the school from requires improvement to good.",
            supporting_others="Coached two new heads in the cluster.", capacity="1.0",
            chair_of_governors_name="Margaret Ellis", chair_of_governors_email=f"chair-{start + i}@{DOMAIN}",
            governors_approved=True, slt_approved=True,
        ))
    applications = Application.objects.bulk_create(rows, batch_size=BATCH)
    RefereeNomination.objects.bulk_create([
        RefereeNomination(
            application=a, name="Dr Helen Price", email=f"sponsor-{a.pk}@{DOMAIN}",
            role=RefereeNomination.Role.LA_OFFICER, organisation="The local authority",
            relationship="Link adviser to the school for five years.",
        )
        for a in applications
    ], batch_size=BATCH)
    scored = {Application.Status.ASSESSED, Application.Status.DESIGNATED, Application.Status.NOT_DESIGNATED}
    Assessment.objects.bulk_create([
        Assessment(
            application=a, assessor=assessor, submitted_at=now,
            scores={"impact_on_outcomes": 3, "school_improvement": 3, "supporting_others": 2 + a.pk % 3},
            total=3 + 3 + 2 + a.pk % 3,  # the sum of the scores, stored at submission
        )
        for a in applications if a.status in scored
    ], batch_size=BATCH)
    say(f"applications: {Application.objects.count():,}")


def add_deployments(b: Builder, count: int) -> None:
    """`count` deployments with their needs, objectives and 20 records of visit each."""
    lles = list(LLEProfile.objects.select_related("user").order_by("pk"))
    adviser = User.objects.get(email=f"adviser@{DOMAIN}")
    start = Deployment.objects.count()
    schools = b.take_schools(count + OPEN_NEEDS_PER_UNIT * count // DEPLOYMENTS_PER_UNIT)
    heads = b.heads(schools, "client")
    needs = SupportNeed.objects.bulk_create([
        SupportNeed(  # type: ignore[misc]  # bench heads have schools
            client_school_id=head.school_id, client_head=head, client_head_name=head.full_name,
            reasons=b.rng.choice([["vulnerable"], ["below_floor"], ["new_head"], ["below_floor", "vulnerable"]]),
            focus_areas=b.rng.sample(SPECIALISMS, 2), days_per_week=Decimal("0.5") if i % 2 else Decimal("1.0"),
            status=SupportNeed.Status.MATCHED if i < count else SupportNeed.Status.OPEN, created_by=adviser,
        )
        for i, head in enumerate(heads)
    ], batch_size=BATCH)

    now = timezone.now()
    deployments = []
    for i, need in enumerate(needs[:count]):
        n = start + i
        status: str = STATUS_MIX[n % len(STATUS_MIX)]
        finished = status in Deployment.FINISHED
        if status in (Deployment.Status.PROPOSED, Deployment.Status.AGREED):
            start_date = b.today + timedelta(days=7 + n % 60)
        elif finished:
            start_date = b.today - timedelta(days=500 + n % 200)
        else:
            start_date = b.today - timedelta(days=170 + n % 200)
        end_date = add_months(start_date, 12)
        agreed = status != Deployment.Status.PROPOSED
        deployments.append(Deployment(
            need=need, lle=lles[n % len(lles)], client_school_id=need.client_school_id, client_head=need.client_head,
            client_head_name=need.client_head_name, days_per_week=need.days_per_week, start_date=start_date,
            end_date=end_date, rate_per_day=Decimal("350.00"), status=status, proposed_by=adviser,
            lle_accepted_at=now if agreed else None, client_accepted_at=now if agreed else None,
            agreed_at=now if agreed else None,
            started_at=_aware(start_date) if status not in (Deployment.Status.PROPOSED, Deployment.Status.AGREED)
            else None,
            finished_at=_aware(end_date) if finished else None,
            ended_reason="The client head moved to another school." if status == Deployment.Status.ENDED_EARLY
            else "",
        ))
    deployments = Deployment.objects.bulk_create(deployments, batch_size=BATCH)
    objectives = Objective.objects.bulk_create([
        Objective(
            deployment=d, title=f"Objective {k + 1}: raise attainment in {('reading', 'writing', 'maths')[k]}",
            measure_of_success="At least 70% reach the expected standard in the next tests", position=k,
            progress=("some", "good", "not_started")[(d.pk + k) % 3],
        )
        for d in deployments for k in range(OBJECTIVES_PER_DEPLOYMENT)
    ], batch_size=BATCH)
    first_objective = {o.deployment_id: o for o in objectives if o.position == 0}

    # Every deployment gets its 20 records of visit (proposed and agreed ones
    # too, which have not started: those are the extra 20 % of a real data
    # set's records, so 1,000 deployments give 20,000 records).
    visits = []
    activities = list(Activity.values)
    for d in deployments:
        gap = 7 if d.days_per_week == Decimal("1.0") else 14
        first = min(d.start_date, b.today - timedelta(days=gap * VISITS_PER_DEPLOYMENT + 1))
        for k in range(VISITS_PER_DEPLOYMENT):
            visit_date = first + timedelta(days=gap * k)
            recent = (b.today - visit_date).days < 21
            status = (VisitRecord.Status.SUBMITTED if recent else
                      VisitRecord.Status.QUERIED if (d.pk + k) % 97 == 0 else VisitRecord.Status.CONFIRMED)
            visits.append(VisitRecord(
                deployment=d, visit_date=visit_date, days=d.days_per_week, activities=b.rng.sample(activities, 2),
                summary="Coaching session with the head; joint learning walk.",
                progress="Monitoring calendar drafted; middle leaders briefed.",
                next_steps="Review the reading data at the next visit.", recorded_by_id=d.lle.user_id,
                status=status, confirmed_at=now if status == VisitRecord.Status.CONFIRMED else None,
                confirmed_by_id=d.client_head_id if status == VisitRecord.Status.CONFIRMED else None,
                query_reason="The date is wrong." if status == VisitRecord.Status.QUERIED else "",
                queried_at=now if status == VisitRecord.Status.QUERIED else None,
                qa_flagged_at=now if (d.pk + k) % 211 == 0 else None,
                qa_flagged_by=adviser if (d.pk + k) % 211 == 0 else None,
            ))
    visits = VisitRecord.objects.bulk_create(visits, batch_size=BATCH)
    through = VisitRecord.objectives.through
    through.objects.bulk_create([
        through(visitrecord_id=v.pk, objective_id=first_objective[v.deployment_id].pk) for v in visits
    ], batch_size=BATCH)
    add_statement_lines([v for v in visits if v.status == VisitRecord.Status.CONFIRMED], deployments, adviser)
    say(f"deployments: {Deployment.objects.count():,}; records of visit: {VisitRecord.objects.count():,}; "
        f"support needs: {SupportNeed.objects.count():,}")


def add_statement_lines(visits: list[VisitRecord], deployments: list[Deployment], adviser: User) -> None:
    """Confirmed visits of the terms before the last one are on statements: the
    older finalised, the last but one a draft."""
    by_pk = {d.pk: d for d in deployments}
    schools = dict(School.objects.filter(pk__in={d.client_school_id for d in deployments})
                   .values_list("pk", "local_authority_id"))
    lle_schools = dict(LLEProfile.objects.values_list("pk", "school_id"))
    before = previous_term(timezone.localdate()).starts_on
    draft_term = previous_term(before)
    statements: dict[tuple, ReimbursementStatement] = {
        (s.local_authority_id, s.academic_year, s.term): s for s in ReimbursementStatement.objects.all()
    }
    lines, final = [], []
    now = timezone.now()
    for visit in visits:
        if visit.visit_date >= before:
            continue
        deployment = by_pk[visit.deployment_id]
        term = term_for(visit.visit_date)
        key = (schools[deployment.client_school_id], term.academic_year, term.term.value)
        if key in statements and statements[key].status == "finalised":
            # Growing to 10x: a finalised statement never changes (the database refuses);
            # these visits stay off statements, as a late claim would.
            continue
        if key not in statements:
            # Created as drafts: a finalised statement takes no new line (the
            # database refuses); finalised below, once its lines are in.
            statements[key] = ReimbursementStatement.objects.create(
                local_authority_id=key[0], academic_year=key[1], term=key[2], prepared_by=adviser, prepared_at=now,
                version=1,
            )
            if term != draft_term:
                final.append(statements[key].pk)
        lines.append(ReimbursementLine(
            statement=statements[key], visit=visit, lle_school_id=lle_schools[deployment.lle_id], days=visit.days,
            rate_per_day=deployment.rate_per_day, amount=visit.days * deployment.rate_per_day,
        ))
    ReimbursementLine.objects.bulk_create(lines, batch_size=BATCH)
    ReimbursementStatement.objects.filter(pk__in=final).update(status="finalised", finalised_at=now,
                                                              finalised_by=adviser)


def build_staff(b: Builder) -> None:
    """The national adviser (every LA: the largest lists a staff page can show)
    and an assessor."""
    adviser = User.objects.create(
        email=f"adviser@{DOMAIN}", full_name="Sarah Whitfield", role=User.Role.ADVISER, is_staff=True,
        password=b.password, job_title="National lead adviser",
    )
    adviser.local_authorities.set(LocalAuthority.objects.all())
    User.objects.create(email=f"assessor@{DOMAIN}", full_name="David Okafor", role=User.Role.ASSESSOR,
                        is_staff=True, password=b.password)


def build_governor() -> None:
    """A governor of the first LLE's school: the impact dashboard's reader."""
    lle = LLEProfile.objects.select_related("school").order_by("pk").first()
    assert lle is not None  # built by build_lles
    User.objects.create(
        email=f"governor@{DOMAIN}", full_name="Margaret Ellis", role=User.Role.GOVERNOR, is_staff=False,
        school=lle.school, password=make_password(None), job_title=f"Chair of governors, {lle.school.name}",
        school_confirmed_at=timezone.now(),
    )


def build_base() -> None:
    import_schools()
    with Timer("local authorities"):
        assign_local_authorities()
    with Timer("results of 5 years"), transaction.atomic():
        derive_results()
    with Timer("people, rounds, LLEs, 1 unit of programme data"), transaction.atomic():
        b = Builder()
        build_staff(b)
        build_rounds_and_lles(b)
        build_governor()
        add_applications(b, APPLICATIONS_PER_UNIT)
        add_deployments(b, DEPLOYMENTS_PER_UNIT)
    _sql("ANALYZE")


def add_units(units: int) -> None:
    with Timer(f"{units} more units of programme data"), transaction.atomic():
        b = Builder()
        for _ in range(units):
            add_applications(b, APPLICATIONS_PER_UNIT)
            add_deployments(b, DEPLOYMENTS_PER_UNIT)
    _sql("ANALYZE")
