"""The report machinery: queued → running → ready or failed, one job per
document at a time, stored files only for those entitled, the requester told
once, retries with backoff, and never a broken file."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from lle_portal import reports
from lle_portal.models import AuditEvent, OutgoingEmail, Report
from lle_portal.pdf import render_pdf
from lle_portal.tests.factories import GovernorFactory

pytestmark = pytest.mark.django_db

calls = {"build": 0, "fail": 0}


def _build(report):
    calls["build"] += 1
    if calls["fail"]:
        calls["fail"] -= 1
        raise RuntimeError("the chart library fell over")
    return render_pdf("pdf/base.html", {})


@pytest.fixture(autouse=True)
def test_kind():
    calls.update(build=0, fail=0)
    kind = reports.register(reports.ReportKind(
        name="test_report", label="Test report", build=_build,
        # Governors of the school named in the params may see it.
        can_view=lambda user, report: user.is_governor and user.school_id == report.params.get("school"),
    ))
    yield kind
    reports._KINDS.pop("test_report", None)


def ask(user, subject="s:1"):
    return reports.report_request(kind="test_report", subject=subject, params={"school": user.school_id},
                                  title="Test report for the governors", user=user)


def test_a_report_is_built_stored_and_the_requester_emailed_once(users, django_capture_on_commit_callbacks):
    governor = users["governor"]
    with django_capture_on_commit_callbacks(execute=True):
        report = ask(governor)
    report.refresh_from_db()
    assert report.status == Report.Status.READY
    assert report.file.read().startswith(b"%PDF")
    assert report.attempts == 1 and report.finished_at is not None
    assert [m.to for m in mail.outbox] == [[governor.email]]
    assert "ready" in mail.outbox[0].subject
    # Running the task again changes nothing and sends nothing.
    with django_capture_on_commit_callbacks(execute=True):
        assert reports.build_report.delay(report.pk).get() == "nothing to do"
    assert calls["build"] == 1 and len(mail.outbox) == 1
    assert AuditEvent.objects.filter(verb="report.ready").count() == 1


def test_asking_twice_while_it_is_queued_starts_no_second_job(users, django_capture_on_commit_callbacks):
    governor = users["governor"]
    other_governor = GovernorFactory(school=governor.school)
    with mock.patch.object(reports.build_report, "delay") as delay, django_capture_on_commit_callbacks(
            execute=True
    ):
        first = ask(governor)
        second = ask(other_governor)
        third = ask(governor)
    assert first.pk == second.pk == third.pk
    assert delay.call_count == 1
    assert Report.objects.count() == 1
    # Both are told when it is ready, once each.
    with django_capture_on_commit_callbacks(execute=True):
        reports.build_report.delay(first.pk)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([governor.email, other_governor.email])


def test_the_database_refuses_two_reports_in_progress_for_the_same_document(users):
    from django.db import IntegrityError, transaction

    Report.objects.create(kind="test_report", subject="s:1", title="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(kind="test_report", subject="s:1", title="b")
    # A finished one does not block a new request.
    Report.objects.update(status=Report.Status.FAILED)
    Report.objects.create(kind="test_report", subject="s:1", title="c")


def test_a_failing_build_is_retried_then_succeeds(users, django_capture_on_commit_callbacks):
    calls["fail"] = 1
    with django_capture_on_commit_callbacks(execute=True):
        report = ask(users["governor"])
    report.refresh_from_db()
    assert report.status == Report.Status.READY and report.attempts == 2
    assert report.error == ""


def test_a_build_that_keeps_failing_is_marked_failed_with_no_file(users, client, django_capture_on_commit_callbacks):
    calls["fail"] = 10
    governor = users["governor"]
    with django_capture_on_commit_callbacks(execute=True):
        report = ask(governor)
    report.refresh_from_db()
    assert report.status == Report.Status.FAILED
    assert report.attempts == reports.MAX_ATTEMPTS
    assert not report.file
    assert "fell over" in report.error
    assert OutgoingEmail.objects.count() == 0

    client.force_login(governor)
    page = client.get(report.get_absolute_url())
    assert b"Failed \xe2\x80\x94 try again" in page.content
    assert b"fell over" not in page.content  # the error is for staff, not the governor
    assert client.get(reverse("reports:download", args=[report.pk])).status_code == 404

    calls["fail"] = 0
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:try_again", args=[report.pk]))
    again = Report.objects.exclude(pk=report.pk).get()
    assert response.url == again.get_absolute_url()
    again.refresh_from_db()
    assert again.status == Report.Status.READY


def test_a_builder_returning_something_else_than_a_pdf_fails(users, test_kind, django_capture_on_commit_callbacks):
    reports.register(reports.ReportKind(name="test_report", label="Test", build=lambda r: b"<html>",
                                        can_view=test_kind.can_view))
    with django_capture_on_commit_callbacks(execute=True):
        report = ask(users["governor"])
    report.refresh_from_db()
    assert report.status == Report.Status.FAILED and not report.file


def test_a_running_report_whose_worker_died_is_claimed_again_once_stale(users):
    report = Report.objects.create(kind="test_report", subject="s:1", title="t",
                                   params={"school": users["governor"].school_id}, status=Report.Status.RUNNING,
                                   started_at=timezone.now())
    assert reports.build_report.delay(report.pk).get() == "nothing to do"  # someone is building it
    Report.objects.filter(pk=report.pk).update(started_at=timezone.now() - reports.STALE_AFTER - timedelta(minutes=1))
    with mock.patch.object(reports.build_report, "delay") as delay:
        assert reports.requeue_stale_reports() == 1
    delay.assert_called_once_with(report.pk)
    assert reports.build_report.apply(args=[report.pk]).get() == "ready"


def test_only_those_entitled_see_and_download_it(users, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = ask(users["governor"])
    detail = reverse("reports:detail", args=[report.pk])
    download = reverse("reports:download", args=[report.pk])

    assert client.get(download).status_code == 302  # anonymous: sign in first
    for role in ("headteacher", "adviser", "other_adviser", "assessor"):
        client.force_login(users[role])
        assert client.get(detail).status_code == 404, role
        assert client.get(download).status_code == 404, role
    GovernorFactory()  # a governor of another school
    client.force_login(GovernorFactory())
    assert client.get(download).status_code == 404

    client.force_login(users["governor"])
    page = client.get(detail)
    assert b"Download the PDF" in page.content
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert "no-store" in response["Cache-Control"]
    mine = client.get(reverse("reports:list"))
    assert report.title.encode() in mine.content


def test_the_status_page_refreshes_while_it_is_being_built(users, client):
    with mock.patch.object(reports.build_report, "delay"):
        report = ask(users["governor"])
    client.force_login(users["governor"])
    page = client.get(report.get_absolute_url())
    assert b'http-equiv="refresh"' in page.content
    assert b"Queued" in page.content
