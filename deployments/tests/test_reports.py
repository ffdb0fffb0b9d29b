"""The deployment documents go through the report machinery: the contract on
agreement, the statement on finalising, and the end report on request once a
deployment has finished; each downloadable only by those entitled."""

from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse

from deployments import reimbursement, services
from deployments.models import Deployment
from lle_portal import reports
from lle_portal.models import Report
from lle_portal.tests.factories import GovernorFactory, HeadteacherFactory

from .factories import DeploymentFactory, ObjectiveFactory, VisitRecordFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished(users):
    deployment = DeploymentFactory(active=True)
    ObjectiveFactory(deployment=deployment, title="Raise attainment in reading", progress="achieved")
    VisitRecordFactory(deployment=deployment, confirmed=True, summary="Coached the head on monitoring.")
    VisitRecordFactory(deployment=deployment)  # not confirmed: not in the report's days
    services.deployment_complete(deployment=deployment, by=users["adviser"], today=deployment.end_date)
    deployment.refresh_from_db()
    assert deployment.status == Deployment.Status.COMPLETED
    return deployment


def test_agreeing_makes_the_contract_as_a_report(users, django_capture_on_commit_callbacks):
    deployment = DeploymentFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.deployment_accept(deployment=deployment, by=deployment.lle.user)
        services.deployment_accept(deployment=deployment, by=deployment.client_head)
    report = Report.objects.get(kind="deployment_contract")
    deployment.refresh_from_db()
    assert report.status == Report.Status.READY
    assert deployment.contract_pdf.name == report.file.name
    assert reports.can_view(deployment.lle.user, report) and reports.can_view(deployment.client_head, report)
    assert not reports.can_view(HeadteacherFactory(), report)
    assert not reports.can_view(users["other_adviser"], report)


def test_the_lle_asks_for_the_end_report_and_the_client_head_downloads_it(
    client, users, finished, django_capture_on_commit_callbacks
):
    client.force_login(finished.lle.user)
    page = client.get(finished.get_absolute_url()).content.decode()
    assert "Request the end report (PDF)" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("deployments:end_report", args=[finished.pk]))
    report = Report.objects.get(kind="deployment_end_report")
    assert response.url == report.get_absolute_url()
    report.refresh_from_db()
    assert report.status == Report.Status.READY
    assert [m.to for m in mail.outbox if "ready" in m.subject] == [[finished.lle.user.email]]

    client.force_login(finished.client_head)
    page = client.get(finished.get_absolute_url()).content.decode()
    assert "Download the end report (PDF)" in page
    download = client.get(reverse("reports:download", args=[report.pk]))
    assert download.status_code == 200
    data = b"".join(download.streaming_content)
    assert data.startswith(b"%PDF")

    for outsider in (HeadteacherFactory(), users["other_adviser"], GovernorFactory(), users["assessor"]):
        client.force_login(outsider)
        assert client.get(reverse("reports:download", args=[report.pk])).status_code == 404
    client.force_login(users["adviser"])
    assert client.get(reverse("reports:download", args=[report.pk])).status_code == 200


def test_the_end_report_says_what_happened(users, finished, tmp_path):
    import subprocess

    from deployments.reports import end_report_request

    with mock.patch.object(reports.build_report, "delay"):
        report = end_report_request(finished, user=finished.lle.user)
    assert reports.build_report.apply(args=[report.pk]).get() == "ready"
    report.refresh_from_db()
    pdf = tmp_path / "end.pdf"
    pdf.write_bytes(report.file.read())
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Raise attainment in reading" in text and "Achieved" in text
    assert "Coached the head on monitoring." in text
    assert "1 confirmed by the client headteacher" in " ".join(text.split())


def test_no_end_report_before_the_deployment_has_finished(client, users):
    deployment = DeploymentFactory(active=True)
    client.force_login(deployment.lle.user)
    assert "Request the end report" not in client.get(deployment.get_absolute_url()).content.decode()
    response = client.post(reverse("deployments:end_report", args=[deployment.pk]), follow=True)
    assert "made when the deployment has finished" in response.content.decode()
    assert not Report.objects.exists()


def test_only_parties_may_ask_for_the_end_report(client, users, finished):
    for outsider in (HeadteacherFactory(), users["other_adviser"]):
        client.force_login(outsider)
        assert client.post(reverse("deployments:end_report", args=[finished.pk])).status_code == 404
    client.force_login(users["assessor"])
    assert client.post(reverse("deployments:end_report", args=[finished.pk])).status_code in (403, 404)
    assert client.get(reverse("deployments:end_report", args=[finished.pk])).status_code in (403, 404, 405)
    assert not Report.objects.exists()


def test_a_statement_pdf_is_a_report_only_advisers_of_its_la_see(users, django_capture_on_commit_callbacks):
    from datetime import date

    deployment = DeploymentFactory(active=True, start_date=date(2025, 9, 1), end_date=date(2026, 8, 31))
    VisitRecordFactory(deployment=deployment, visit_date=date(2025, 10, 8), confirmed=True)
    statement = reimbursement.statement_prepare(local_authority=deployment.client_school.local_authority,
                                                academic_year=2026, term="autumn", by=users["adviser"])
    with django_capture_on_commit_callbacks(execute=True):
        reimbursement.statement_finalise(statement=statement, by=users["adviser"])
    report = Report.objects.get(kind="reimbursement_statement")
    statement.refresh_from_db()
    assert report.status == Report.Status.READY and statement.pdf.name == report.file.name
    assert reports.can_view(users["adviser"], report)
    assert not reports.can_view(users["other_adviser"], report)
    assert not reports.can_view(deployment.lle.user, report)
