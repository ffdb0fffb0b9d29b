"""A pairing not taken up for a need (declined by the LLE or the client head,
or withdrawn by the adviser) is never proposed again for that need: on the
one-need ranked list, on "Match all open needs" and in the service itself.
And the words on those pages say what the service does."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from deployments import matching, services
from deployments.models import Deployment, SupportNeed, add_months
from deployments.services import DeploymentError

from .factories import DeploymentFactory, LLEProfileFactory, SupportNeedFactory

pytestmark = pytest.mark.django_db

DECLINED_AT = timezone.make_aware(datetime(2026, 11, 12, 15, 30))


def not_taken_up(need, lle):
    """A proposal of `lle` for `need` that was declined (as deployment_decline leaves it)."""
    deployment = DeploymentFactory(need=need, lle=lle, status=Deployment.Status.WITHDRAWN,
                                   ended_reason="Our own Ofsted inspection is due this term.")
    Deployment.objects.filter(pk=deployment.pk).update(finished_at=DECLINED_AT)
    SupportNeed.objects.filter(pk=need.pk).update(status=SupportNeed.Status.OPEN)
    need.refresh_from_db()
    return deployment


@pytest.fixture
def declined():
    """An open need whose best LLE declined it, and a second LLE who did not."""
    need = SupportNeedFactory()
    first = LLEProfileFactory(specialisms=["maths"])
    not_taken_up(need, first)
    return need, first


def test_the_ranked_list_excludes_the_declined_pairing_and_says_when(declined):
    need, lle = declined
    candidate = next(c for c in matching.rank_candidates(need) if c.lle.pk == lle.pk)
    assert not candidate.proposable
    assert candidate.exclusions == ["Declined on 12 November 2026"]


def test_only_that_need_is_affected(declined):
    need, lle = declined
    other_need = SupportNeedFactory(client_school=need.client_school, client_head=need.client_head)
    candidate = next(c for c in matching.rank_candidates(other_need) if c.lle.pk == lle.pk)
    assert candidate.proposable


def test_match_all_never_proposes_the_declined_pairing_again(declined):
    need, lle = declined
    [assignment] = matching.assign_all([need])
    assert assignment.candidate is None
    other = LLEProfileFactory(specialisms=[])
    [assignment] = matching.assign_all([need])
    assert assignment.candidate.lle == other


def test_the_ranked_list_still_runs_two_queries(declined, django_assert_num_queries):
    need = SupportNeed.objects.select_related("client_school").get(pk=declined[0].pk)
    with django_assert_num_queries(2):  # the LLEs; the deployments already in hand or declined
        matching.rank_candidates(need)


def test_the_service_refuses_to_propose_the_declined_pairing_again(declined, users):
    need, lle = declined
    start = timezone.localdate()
    with pytest.raises(DeploymentError, match="declined on 12 November 2026"):
        services.deployment_propose(need=need, lle=lle, by=users["adviser"], start_date=start,
                                    end_date=add_months(start, 12), days_per_week=Decimal("0.5"),
                                    rate_per_day=Decimal("300"))


def test_the_adviser_pages_show_it_declined_and_do_not_offer_it(declined, client, users):
    need, lle = declined
    client.force_login(users["adviser"])
    page = client.get(reverse("deployments:match_all")).content.decode()
    assert lle.user.full_name not in page
    assert "No LLE can be proposed" in page
    page = client.get(reverse("deployments:matches", args=[need.pk]) + "?all=1").content.decode()
    assert "Declined on 12 November 2026" in page
    assert f'name="lle" value="{lle.pk}"' not in page
    response = client.post(reverse("deployments:match_all"),
                           {"need": need.pk, "lle": lle.pk, "days_per_week": "0.5"}, follow=True)
    assert "declined on 12 November 2026" in response.content.decode()
    assert not Deployment.objects.filter(need=need).exclude(status=Deployment.Status.WITHDRAWN).exists()


def test_match_all_says_the_dates_accepting_proposes(client, users):
    need = SupportNeedFactory()
    lle = LLEProfileFactory()
    client.force_login(users["adviser"])
    page = client.get(reverse("deployments:match_all")).content.decode()
    start, end = services.default_dates(need.client_school)
    assert "two weeks" not in page
    assert f"from {start.day} {start:%B %Y} to {end.day} {end:%B %Y}" in page
    client.post(reverse("deployments:match_all"), {"need": need.pk, "lle": lle.pk, "days_per_week": "0.5"})
    deployment = Deployment.objects.get(need=need)
    assert (deployment.start_date, deployment.end_date) == (start, end)


def test_the_default_dates_start_next_term_and_end_before_a_year_has_passed():
    start, end = services.default_dates(SupportNeedFactory().client_school, today=date(2026, 12, 5))
    assert start == date(2027, 1, 4)
    assert start < end < add_months(start, 12)


def test_specialisms_read_as_their_labels():
    need = SupportNeedFactory(focus_areas=["literacy", "maths"])
    lle = LLEProfileFactory(specialisms=["literacy", "maths"])
    candidate = next(c for c in matching.rank_candidates(need) if c.lle.pk == lle.pk)
    label = next(r.label for r in candidate.reasons if r.kind == "specialisms")
    assert label == "Specialisms meet 2 of 2 focus areas: English and literacy, Mathematics"
