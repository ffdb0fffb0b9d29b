"""Private files (contracts, statements, reports, uploaded imports) as an
attacker would go for them: by their path under /media/ (in every mode,
DEBUG included), by guessing a stored name, or through another LA's
download view."""

from __future__ import annotations

import importlib
import re

import pytest
from django.core.files.base import ContentFile
from django.test import Client, override_settings
from django.urls import clear_url_caches, reverse
from django.utils import timezone

import lle_portal.urls
from deployments.models import ReimbursementStatement
from deployments.reports import END_REPORT
from deployments.tests.factories import DeploymentFactory
from lle_portal.models import ImportJob, Report
from lle_portal.tests.factories import AdviserFactory, LocalAuthorityFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7 private\n%%EOF"
TOKEN = r"[A-Za-z0-9_-]{22}"


@pytest.fixture
def files(db):
    """One stored file of each kind, all of a Norfolk deployment or statement."""
    norfolk = LocalAuthorityFactory(code="926", name="Norfolk")
    adviser = AdviserFactory(local_authorities=[norfolk])
    deployment = DeploymentFactory(active=True, need__client_school__local_authority=norfolk)
    deployment.contract_pdf.save("contract.pdf", ContentFile(PDF))
    statement = ReimbursementStatement.objects.create(local_authority=norfolk, academic_year=2025, term="autumn",
                                                      pdf_version=0)  # the PDF of the statement as it is
    statement.pdf.save("statement.pdf", ContentFile(PDF))
    report = Report(
        kind=END_REPORT, subject=f"deployment:{deployment.pk}", params={"deployment": deployment.pk},
        title="Deployment end report", status=Report.Status.READY, finished_at=timezone.now(),
    )
    report.file.save("end-report.pdf", ContentFile(PDF))
    job = ImportJob.objects.create(
        kind="gias", created_by=adviser, original_name="gias.csv", file=ContentFile(b"URN\r\n", name="gias.csv")
    )
    return {
        "adviser": adviser,
        "deployment": deployment,
        "statement": statement,
        "report": report,
        "job": job,
        "names": [deployment.contract_pdf.name, statement.pdf.name, report.file.name, job.file.name],
    }


@pytest.fixture
def debug_urls():
    """The URL configuration as `make run` (DEBUG=True) builds it."""
    with override_settings(DEBUG=True):
        importlib.reload(lle_portal.urls)
        clear_url_caches()
        try:
            yield
        finally:
            importlib.reload(lle_portal.urls)
            clear_url_caches()


def test_no_stored_file_is_served_under_media_even_with_debug_on(files, debug_urls, client):
    signed_in = Client()
    signed_in.force_login(files["adviser"])

    for name in files["names"]:
        assert client.get(f"/media/{name}").status_code == 404, name
        # Not even to the adviser who may download it through its view.
        assert signed_in.get(f"/media/{name}").status_code == 404, name


def test_stored_names_hold_a_random_token(files):
    folders = ["deployments/contracts", "deployments/statements", "reports", "imports"]
    # The contract and statement are the report machinery's files (reports/…),
    # written straight to their own fields here.
    for name, folder in zip(files["names"], folders, strict=True):
        assert re.fullmatch(rf"{folder}/\d{{4}}/\d{{2}}/{TOKEN}/[\w.-]+", name), name

    again = ImportJob.objects.create(kind="gias", file=ContentFile(b"URN\r\n", name="gias.csv"))
    assert again.file.name != files["job"].file.name
    assert again.file.name.rsplit("/", 1)[1] == "gias.csv"


def test_another_las_adviser_gets_404_from_every_download_view(files, client):
    suffolk = LocalAuthorityFactory(code="935", name="Suffolk")
    client.force_login(AdviserFactory(local_authorities=[suffolk]))

    for url in [
        reverse("deployments:contract", args=[files["deployment"].pk]),
        reverse("deployments:statement_pdf", args=[files["statement"].pk]),
        reverse("reports:download", args=[files["report"].pk]),
        reverse("admin:lle_portal_importjob_file", args=[files["job"].pk]),
    ]:
        assert client.get(url).status_code == 404, url


def test_the_la_adviser_downloads_each_file_through_its_view_never_cached(files, client):
    client.force_login(files["adviser"])

    for url in [
        reverse("deployments:contract", args=[files["deployment"].pk]),
        reverse("deployments:statement_pdf", args=[files["statement"].pk]),
        reverse("reports:download", args=[files["report"].pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"".join(response.streaming_content) == PDF
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"], url


def test_files_stored_under_guessable_names_move_to_unguessable_ones(files, django_capture_on_commit_callbacks):
    from importlib import import_module

    from django.apps import apps
    from django.core.files.storage import default_storage
    from django.db import connection

    migration = import_module("deployments.migrations.0004_move_private_files_to_unguessable_names")
    # As stored before: the contract and the statement share their report's file, at a name made from its id.
    old = default_storage.save("reports/2026/11/lle-contract-agreement-12.pdf", ContentFile(PDF))
    Report.objects.filter(pk=files["report"].pk).update(file=old)
    files["deployment"].__class__.objects.filter(pk=files["deployment"].pk).update(contract_pdf=old)
    job_old = default_storage.save("imports/2026/11/gias.csv", ContentFile(b"URN\r\n"))
    ImportJob.objects.filter(pk=files["job"].pk).update(file=job_old)
    statement_name = files["statement"].pdf.name  # already unguessable: left alone

    with django_capture_on_commit_callbacks(execute=True):
        migration.move_files(apps, type("Editor", (), {"connection": connection})())

    report = Report.objects.get(pk=files["report"].pk)
    files["deployment"].refresh_from_db()
    files["job"].refresh_from_db()
    files["statement"].refresh_from_db()
    assert re.fullmatch(rf"reports/\d{{4}}/\d{{2}}/{TOKEN}/lle-contract-agreement-12\.pdf", report.file.name)
    assert files["deployment"].contract_pdf.name == report.file.name
    assert re.fullmatch(rf"imports/\d{{4}}/\d{{2}}/{TOKEN}/gias\.csv", files["job"].file.name)
    assert files["statement"].pdf.name == statement_name
    assert report.file.read() == PDF
    assert not default_storage.exists(old) and not default_storage.exists(job_old)


def test_no_page_links_a_stored_file_by_its_media_path(files, client):
    from lle_portal.models import User

    client.force_login(User.objects.create_superuser("owner@example.org", "correct horse battery staple"))

    for url in [
        reverse("admin:lle_portal_report_change", args=[files["report"].pk]),
        reverse("admin:lle_portal_importjob_change", args=[files["job"].pk]),
        reverse("admin:deployments_deployment_change", args=[files["deployment"].pk]),
        reverse("admin:deployments_reimbursementstatement_change", args=[files["statement"].pk]),
    ]:
        page = client.get(url).content.decode()
        assert "/media/" not in page, url
    report_page = client.get(reverse("admin:lle_portal_report_change", args=[files["report"].pk])).content.decode()
    assert reverse("reports:download", args=[files["report"].pk]) in report_page
