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
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import transaction
from django.db.models import Avg, Q
from django.utils import timezone

from .models import AreaResult, Inspection, LocalAuthority, School, SchoolResult, User

DATA_DIR = Path(__file__).resolve().parent / "data"
DEMO_PASSWORD = "lle-demo-password"  # noqa: S105  (printed for the demo; never used outside it)
DEMO_DOMAIN = "demo.lle-portal.example"
LATEST_YEAR = 2019
# How many years of results the demo shows: the real 2019 file and two earlier
# years derived from it (see seed_earlier_years).
YEARS = (LATEST_YEAR - 2, LATEST_YEAR - 1, LATEST_YEAR)


@dataclass
class DemoContext:
    """What one step leaves for the next: the LA, its people and schools."""

    out: TextIO
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
    for row in averages:
        AreaResult.objects.update_or_create(
            area_code=ctx.la.code, key_stage=row["key_stage"], measure=row["measure"], year=row["year"],
            defaults={"local_authority": ctx.la, "value": round(row["average"], 2), "marker": ""},
        )
    ctx.say(f"Results: {len(rows)} derived for {YEARS[0]}–{YEARS[-2]}, LA averages for {len(YEARS)} years.")


def seed_people(ctx: DemoContext) -> None:
    """The adviser, an assessor, a governor and the headteachers of good schools."""
    la = ctx.la
    adviser = ctx.login(
        "adviser", email=f"adviser@{DEMO_DOMAIN}", full_name="Sarah Morley", role=User.Role.ADVISER,
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
        ctx.logins.append((first.get_role_display(), first.full_name, first.email))
        governor_school = first.school
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
    seed_people(ctx)
