"""The demo tells one story per person: the README's printed logins are the
ones `seed_demo` prints; the printed LLE and client head share an active
deployment with visits awaiting the client head's confirmation; every visit
and deployment of this year and last falls on a school day; and the printed
LLE's own timeline runs in order."""

import io
from datetime import date

import pytest
from django.core.management import call_command

from applications.models import Application, LinkRequest, LLEProfile
from deployments.models import Deployment, VisitRecord
from lle_portal.demo import is_school_day
from lle_portal.models import User
from lle_portal.tests.readme import demo_login, demo_logins, printed_logins

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CURRENT_YEARS_FROM = date(2025, 9, 1)  # 2025/26 and 2026/27, the years the demo's deployments run in


def test_school_days_follow_englands_usual_terms():
    # The demo's dates follow the LA's term calendar (England's usual pattern; its
    # own tests are lle_portal/tests/test_school_calendar.py).
    assert is_school_day(date(2026, 12, 4))  # a Friday in term
    for holiday in (date(2026, 12, 5), date(2026, 12, 21), date(2026, 12, 25), date(2026, 10, 28),
                    date(2026, 8, 3), date(2026, 4, 6), date(2026, 5, 4), date(2026, 5, 26)):
        assert not is_school_day(holiday), holiday


def test_the_printed_logins_tell_one_story_and_match_the_readme():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    printed = printed_logins(out.getvalue())
    assert printed == demo_logins()
    roles = {role for role, _, _ in printed}
    assert {"LA lead adviser", "Assessor", "Governor", "Headteacher (applicant)", "Headteacher (LLE)",
            "Headteacher (client head)"} <= roles
    for role, name, email in printed:
        assert User.objects.get(email=email).full_name == name, role

    # The printed LLE and client head share an active deployment with visits to confirm.
    lle = User.objects.get(email=demo_login("Headteacher (LLE)")[1])
    head = User.objects.get(email=demo_login("Headteacher (client head)")[1])
    shared = Deployment.objects.get(lle__user=lle, client_head=head, status=Deployment.Status.ACTIVE)
    assert shared.client_school == head.school
    awaiting = shared.visits.filter(status=VisitRecord.Status.SUBMITTED)
    assert awaiting.count() >= 1
    assert all(v.created_at.date() == v.visit_date for v in awaiting)

    # The printed LLE's own timeline runs in order.
    application = Application.objects.get(applicant=lle, status=Application.Status.DESIGNATED)
    profile = LLEProfile.objects.get(user=lle)
    assert application.created_at < application.submitted_at <= application.round.closes_at
    assert application.submitted_at < application.la_approved_at < application.decided_at
    assert application.decided_at.date() == profile.designated_on
    assert profile.designated_on < profile.trained_on <= shared.start_date
    assert application.link_requests.filter(kind=LinkRequest.Kind.REFERENCE).get().status == "received"
    first, last = shared.visits.order_by("visit_date").first(), shared.visits.order_by("visit_date").last()
    assert shared.start_date <= first.visit_date and last.visit_date < date.today()
    # (The impact history's past deployments aside, every deployment of theirs starts after training.)
    starts = Deployment.objects.filter(lle=profile, start_date__gte=CURRENT_YEARS_FROM).values_list("start_date",
                                                                                                    flat=True)
    assert starts and all(start > profile.trained_on for start in starts)

    # Every visit, start and end point of this year and last is on a school day.
    current = Deployment.objects.filter(start_date__gte=date(2025, 6, 1))
    for deployment in current:
        assert is_school_day(deployment.start_date), deployment
        assert is_school_day(deployment.end_date), deployment
    visits = VisitRecord.objects.filter(visit_date__gte=CURRENT_YEARS_FROM)
    assert visits.count() >= 20
    off = [(v.deployment_id, v.visit_date) for v in visits if not is_school_day(v.visit_date)]
    assert off == []
    for visit in visits.exclude(confirmed_at=None):
        assert visit.confirmed_at.date() >= visit.visit_date

    # The open round's notes count the demo's own LLEs.
    notes = application.round.__class__.objects.get(name__endswith="2026–27").priority_notes
    serving = LLEProfile.objects.filter(is_active=True).exclude(application__round__name__endswith="2026–27")
    assert f"has {serving.count()} LLEs" in notes
