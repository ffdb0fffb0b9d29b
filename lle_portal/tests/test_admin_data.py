from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lle_portal.import_tasks import run_import_job
from lle_portal.imports import GiasImporter
from lle_portal.models import AreaResult, AuditEvent, ImportJob, School, SchoolResult, User
from lle_portal.tests.factories import (
    InspectionFactory,
    LocalAuthorityFactory,
    SchoolFactory,
    SchoolResultFactory,
)

DATA = Path(__file__).parent / "data"

pytestmark = pytest.mark.django_db


@pytest.fixture
def adviser_client(client):
    user = User.objects.create_superuser("lead.adviser@norfolk.example", "correct horse battery staple")
    client.force_login(user)
    client.user = user
    return client


def upload(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content if content is not None else (DATA / name).read_bytes(), "text/csv")


def add_url() -> str:
    return reverse("admin:lle_portal_importjob_add")


def job_url(job: ImportJob) -> str:
    return reverse("admin:lle_portal_importjob_change", args=[job.pk])


# --------------------------------------------------------------------------
# The import page
# --------------------------------------------------------------------------


def test_it_imports_an_uploaded_file_in_the_background(adviser_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = adviser_client.post(add_url(), {"kind": "gias", "file": upload("gias_small.csv")})

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response.url == job_url(job)
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED
    assert job.created_by == adviser_client.user
    assert job.original_name == "gias_small.csv"
    assert (job.total_rows, job.processed_rows) == (7, 7)
    assert (job.created_count, job.updated_count, job.error_count) == (4, 0, 5)
    assert {"line": 4, "reason": "the URN 'abc' is not a number; the row was skipped"} in job.errors
    assert School.objects.count() == 4
    event = AuditEvent.objects.get(verb="import.finished")
    assert (event.target, event.actor) == (job, adviser_client.user)


def test_the_job_page_shows_progress_counts_and_bad_rows(adviser_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        adviser_client.post(add_url(), {"kind": "gias", "file": upload("gias_small.csv")}, follow=True)
    job = ImportJob.objects.get()

    response = adviser_client.get(job_url(job))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Finished" in page
    assert '<progress id="import-progress-bar" max="7" value="7"' in page
    assert "7 of 7 rows" in page
    assert "Created: 4. Updated: 0." in page
    assert "Rows that could not be used (5)" in page
    assert "<td>4</td><td>the URN &#x27;abc&#x27; is not a number; the row was skipped</td>" in page
    assert "data-refresh-seconds" not in page


def test_the_job_page_refreshes_itself_while_the_job_runs(adviser_client):
    job = ImportJob.objects.create(
        kind="gias", file=ContentFile(b"URN\r\n", name="g.csv"), status="running", total_rows=16355, processed_rows=4000
    )

    page = adviser_client.get(job_url(job)).content.decode()

    # Every 2 seconds, by a script the reader can stop (no meta refresh: WCAG 2.2.1).
    assert '<span data-refresh-seconds="2">' in page and "js/refresh-page.js" in page
    assert 'http-equiv="refresh"' not in page
    assert "4,000 of 16,355 rows" in page
    assert 'max="16355" value="4000"' in page


def test_a_queued_job_says_it_waits_for_the_worker(adviser_client):
    job = ImportJob.objects.create(kind="gias", file=ContentFile(b"URN\r\n", name="g.csv"))

    page = adviser_client.get(job_url(job)).content.decode()

    assert "Waiting for the background worker" in page
    assert '<span data-refresh-seconds="2">' in page


def test_a_file_missing_a_column_fails_with_the_reason_and_loads_nothing(
    adviser_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        adviser_client.post(add_url(), {"kind": "gias", "file": upload("gias_missing_column.csv")})

    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    assert 'lacks the column "EstablishmentName"' in job.message
    assert not School.objects.exists()
    page = adviser_client.get(job_url(job)).content.decode()
    assert "The import failed" in page
    assert "EstablishmentName" in page
    assert AuditEvent.objects.get().verb == "import.failed"


def test_a_performance_upload_needs_the_year(adviser_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = adviser_client.post(add_url(), {"kind": "performance", "file": upload("ks2_small.csv")})

    assert response.status_code == 200
    assert "Performance tables need the year of the results" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_performance_upload_with_its_year_imports_results(adviser_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        adviser_client.post(add_url(), {"kind": "performance", "year": "2019", "file": upload("ks2_small.csv")})

    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.SUCCEEDED
    assert job.created_count == SchoolResult.objects.count() + AreaResult.objects.count()
    assert set(SchoolResult.objects.values_list("year", flat=True)) == {2019}


def test_it_refuses_a_file_that_is_not_csv(adviser_client):
    response = adviser_client.post(add_url(), {"kind": "gias", "file": upload("schools.xlsx", b"PK\x03\x04")})

    assert response.status_code == 200
    assert "Upload a CSV file" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_task_imports_a_job_only_once():
    job = ImportJob.objects.create(
        kind="gias", national=True, file=ContentFile((DATA / "gias_small.csv").read_bytes(), name="g.csv")
    )

    assert run_import_job(job.pk) == "succeeded"
    assert run_import_job(job.pk) == "not-queued"

    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED
    assert job.created_count == 4
    assert AuditEvent.objects.filter(verb="import.finished").count() == 1


def test_a_job_whose_worker_died_is_imported_when_its_message_comes_back():
    from datetime import timedelta

    from django.utils import timezone

    job = ImportJob.objects.create(
        kind="gias", national=True, file=ContentFile((DATA / "gias_small.csv").read_bytes(), name="g.csv")
    )
    ImportJob.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now() - timedelta(minutes=5))
    assert run_import_job(job.pk) == "not-queued"  # still plausibly running elsewhere

    ImportJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(hours=1))
    assert run_import_job(job.pk) == "succeeded"
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED


def test_the_task_records_progress_after_every_chunk(monkeypatch):
    monkeypatch.setattr(GiasImporter, "chunk_size", 3)
    job = ImportJob.objects.create(
        kind="gias", national=True, file=ContentFile((DATA / "gias_small.csv").read_bytes(), name="g.csv")
    )
    seen = []
    original = GiasImporter.import_chunk

    def spy(self, rows, result):
        # What another process (the job page) would read at this moment.
        seen.append(ImportJob.objects.values_list("processed_rows", "total_rows").get(pk=job.pk))
        return original(self, rows, result)

    monkeypatch.setattr(GiasImporter, "import_chunk", spy)

    run_import_job(job.pk)

    assert seen == [(0, 7), (3, 7), (6, 7)]


def test_the_task_stores_at_most_a_thousand_bad_rows():
    lines = ["URN,LA (code),LA (name),EstablishmentName"] + [f"x{i},926,Norfolk,S" for i in range(1200)]
    job = ImportJob.objects.create(
        kind="gias", national=True, file=ContentFile("\n".join(lines).encode(), name="bad.csv")
    )

    run_import_job(job.pk)

    job.refresh_from_db()
    assert job.error_count == 1200
    assert len(job.errors) == 1000


# --------------------------------------------------------------------------
# School data lists: fast at any size
# --------------------------------------------------------------------------


def make_schools(n: int) -> None:
    las = [LocalAuthorityFactory(), LocalAuthorityFactory()]
    for i in range(n):
        school = SchoolFactory(local_authority=las[i % 2])
        InspectionFactory(school=school)
        SchoolResultFactory(school=school, measure="READPROG")
        SchoolResultFactory(school=school, measure="MATPROG", value=None, marker="SUPP")


@pytest.mark.parametrize("n", [5, 60])
@pytest.mark.parametrize(
    "model", ["school", "schoolresult", "inspection", "arearesult", "localauthority", "importjob"]
)
def test_the_lists_run_a_bounded_number_of_queries(adviser_client, django_assert_max_num_queries, n, model):
    make_schools(n)
    for i in range(n):
        AreaResult.objects.create(area_code=f"{i:03d}", key_stage="KS2", measure="READPROG", year=2019, value=1)
        ImportJob.objects.create(
            kind="gias", file=ContentFile(b"URN\r\n", name=f"{i}.csv"), created_by=adviser_client.user
        )

    # Session, user, count, page, and the LA filter: the same at any size.
    with django_assert_max_num_queries(6):
        response = adviser_client.get(reverse(f"admin:lle_portal_{model}_changelist"))

    assert response.status_code == 200


def test_the_result_list_filters_by_key_stage_measure_and_year(adviser_client):
    make_schools(3)

    response = adviser_client.get(
        reverse("admin:lle_portal_schoolresult_changelist"), {"key_stage": "KS2", "measure": "MATPROG", "year": "2019"}
    )

    assert response.status_code == 200
    assert list(response.context["cl"].result_list.values_list("measure", flat=True)) == ["MATPROG"] * 3
    assert "SUPP" in response.content.decode()


def test_schools_are_found_by_name_postcode_head_or_urn(adviser_client):
    SchoolFactory(urn=123456, name="Cromer Junior School", postcode="NR27 9AA", head_name="Ruth Shaw")
    SchoolFactory(urn=654321, name="Aylsham High School", postcode="NR11 6AN")
    url = reverse("admin:lle_portal_school_changelist")

    for term in ("Cromer", "NR27 9AA", "Ruth Shaw", "123456"):
        found = adviser_client.get(url, {"q": term}).context["cl"].result_list
        assert [s.urn for s in found] == [123456], term


def test_the_school_page_shows_its_inspections_and_results(adviser_client):
    school = SchoolFactory(name="Cromer Junior School")
    InspectionFactory(school=school, overall_effectiveness=1)
    SchoolResultFactory(school=school, measure="READPROG", value=2.5)

    response = adviser_client.get(reverse("admin:lle_portal_school_change", args=[school.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Outstanding" in page
    assert "Reading progress score" in page


# --------------------------------------------------------------------------
# Who may come in
# --------------------------------------------------------------------------

ADMIN_PAGES = [
    "admin:lle_portal_school_changelist",
    "admin:lle_portal_schoolresult_changelist",
    "admin:lle_portal_importjob_changelist",
    "admin:lle_portal_importjob_add",
]


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_anonymous_people_are_sent_to_the_admin_login(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


@pytest.mark.parametrize("role", ["headteacher", "governor"])
@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_headteachers_and_governors_cannot_reach_the_admin(client, users, role, name):
    client.force_login(users[role])

    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_an_adviser_sees_the_schools_of_their_own_las_only(client, users, la):
    SchoolFactory(name="Norfolk School", local_authority=la)
    SchoolFactory(name="Suffolk School", local_authority=LocalAuthorityFactory(code="935"))
    client.force_login(users["adviser"])

    response = client.get(reverse("admin:lle_portal_school_changelist"))

    names = {s.name for s in response.context["cl"].result_list}
    assert "Norfolk School" in names
    assert "Suffolk School" not in names


def test_an_adviser_may_upload_a_file(client, users, django_capture_on_commit_callbacks):
    client.force_login(users["adviser"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(add_url(), {"kind": "gias", "file": upload("gias_small.csv")})

    assert response.status_code == 302
    assert ImportJob.objects.get().status == ImportJob.Status.SUCCEEDED


def test_an_import_job_cannot_be_edited(adviser_client):
    job = ImportJob.objects.create(kind="gias", file=ContentFile(b"URN\r\n", name="g.csv"), status="succeeded")

    adviser_client.post(job_url(job), {"kind": "ofsted", "status": "queued"})

    job.refresh_from_db()
    assert (job.kind, job.status) == ("gias", "succeeded")


def test_an_adviser_cannot_delete_an_import_job(client, users):
    job = ImportJob.objects.create(kind="gias", file=ContentFile(b"URN\r\n", name="g.csv"), status="succeeded")
    client.force_login(users["adviser"])

    response = client.post(reverse("admin:lle_portal_importjob_delete", args=[job.pk]), {"post": "yes"})

    # A job nobody of their LAs uploaded does not exist for them; their own could not be deleted either.
    assert response.status_code in (403, 404)
    assert ImportJob.objects.filter(pk=job.pk).exists()


def test_other_staff_without_permissions_see_no_school_data(client, users):
    client.force_login(users["assessor"])

    response = client.get(reverse("admin:lle_portal_school_changelist"))

    assert response.status_code == 403


def test_an_adviser_does_not_see_another_las_results(client, users, la):
    SchoolResultFactory(school=SchoolFactory(local_authority=la))
    SchoolResultFactory(school=SchoolFactory(local_authority=LocalAuthorityFactory(code="935")))
    client.force_login(users["adviser"])

    response = client.get(reverse("admin:lle_portal_schoolresult_changelist"))

    assert [r.school.local_authority for r in response.context["cl"].result_list] == [la]


def test_the_area_results_an_adviser_sees_include_england(client, users, la):
    AreaResult.objects.create(area_code="926", local_authority=la, key_stage="KS2", measure="READPROG", year=2019)
    AreaResult.objects.create(area_code="england", key_stage="KS2", measure="READPROG", year=2019)
    AreaResult.objects.create(area_code="935", key_stage="KS2", measure="READPROG", year=2019)
    client.force_login(users["adviser"])

    response = client.get(reverse("admin:lle_portal_arearesult_changelist"))

    assert sorted(r.area_code for r in response.context["cl"].result_list) == ["926", "england"]
