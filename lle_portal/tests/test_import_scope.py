"""Imports as an attacker would use them: an adviser's upload reaches only the
schools of their own local authorities, never moves a school between LAs, and
never creates one elsewhere; national files are a superuser's (or an
operator's, with manage.py) job. Each refused row is reported with its line."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from deployments.models import Deployment
from deployments.tests.factories import DeploymentFactory, SupportNeedFactory
from lle_portal.import_tasks import run_import_job
from lle_portal.imports import ImportScope, OfstedImporter, PerformanceImporter
from lle_portal.models import AreaResult, ImportJob, Inspection, LocalAuthority, School, SchoolResult, User
from lle_portal.tests.factories import AdviserFactory, LocalAuthorityFactory, SchoolFactory

pytestmark = pytest.mark.django_db

GIAS_HEADER = "URN,LA (code),LA (name),EstablishmentName,Town"
OFSTED_HEADER = "URN,Inspection end date,Overall effectiveness"
KS2_HEADER = "RECTYPE,LEA,URN,SCHNAME,READPROG"


@pytest.fixture
def world(db):
    norfolk = LocalAuthorityFactory(code="926", name="Norfolk")
    suffolk = LocalAuthorityFactory(code="935", name="Suffolk")
    return {
        "norfolk": norfolk,
        "suffolk": suffolk,
        "adviser": AdviserFactory(local_authorities=[norfolk]),
        "own": SchoolFactory(urn=100001, name="Riverside Primary", local_authority=norfolk, town="Norwich"),
        "theirs": SchoolFactory(urn=123456, name="Lowestoft High", local_authority=suffolk, town="Lowestoft"),
    }


def csv_file(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def reasons(result) -> dict[int, str]:
    return {e.line: e.reason for e in result.errors}


def upload_as(client, user, kind: str, content: bytes, capture, **extra) -> ImportJob:
    client.force_login(user)
    with capture(execute=True):
        response = client.post(
            reverse("admin:lle_portal_importjob_add"),
            {"kind": kind, "file": SimpleUploadedFile(f"{kind}.csv", content, "text/csv"), **extra},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ImportJob.objects.latest("pk")
    assert job.status == ImportJob.Status.SUCCEEDED, job.message
    return job


# --------------------------------------------------------------------------
# GIAS through the admin upload: the attack of the issue
# --------------------------------------------------------------------------


def test_it_refuses_an_advisers_gias_row_that_renames_and_moves_another_las_school(
    client, world, django_capture_on_commit_callbacks
):
    content = csv_file(GIAS_HEADER, "123456,926,Norfolk,Mine Now,Norwich")

    job = upload_as(client, world["adviser"], "gias", content, django_capture_on_commit_callbacks)

    theirs = School.objects.get(urn=123456)
    assert (theirs.name, theirs.local_authority, theirs.town) == ("Lowestoft High", world["suffolk"], "Lowestoft")
    assert job.errors == [
        {"line": 2, "reason": "URN 123456 is in Suffolk, not one of your local authorities; the row was skipped"}
    ]
    assert (job.created_count, job.updated_count, job.error_count) == (0, 0, 1)


def test_it_refuses_an_advisers_gias_row_that_moves_their_own_school_into_another_la(
    client, world, django_capture_on_commit_callbacks
):
    content = csv_file(GIAS_HEADER, "100001,935,Suffolk,Riverside Primary,Norwich")

    job = upload_as(client, world["adviser"], "gias", content, django_capture_on_commit_callbacks)

    assert School.objects.get(urn=100001).local_authority == world["norfolk"]
    assert job.errors[0]["line"] == 2
    assert "would move URN 100001 from Norfolk to Suffolk" in job.errors[0]["reason"]


def test_it_refuses_an_advisers_gias_row_that_takes_their_own_school_out_of_any_la(
    client, world, django_capture_on_commit_callbacks
):
    content = csv_file(GIAS_HEADER, "100001,000,Does not apply,Riverside Primary,Norwich")

    job = upload_as(client, world["adviser"], "gias", content, django_capture_on_commit_callbacks)

    assert School.objects.get(urn=100001).local_authority == world["norfolk"]
    assert "would move URN 100001 from Norfolk to no local authority" in job.errors[0]["reason"]


def test_it_refuses_an_advisers_gias_row_that_creates_a_school_or_an_la_elsewhere(
    client, world, django_capture_on_commit_callbacks
):
    content = csv_file(
        GIAS_HEADER,
        "555555,935,Suffolk,New Suffolk School,Ipswich",
        "666666,873,Cambridgeshire,New Cambs School,Ely",
        "777777,935,Renamed Suffolk,Another,Ipswich",
    )

    job = upload_as(client, world["adviser"], "gias", content, django_capture_on_commit_callbacks)

    assert not School.objects.filter(urn__in=[555555, 666666, 777777]).exists()
    assert not LocalAuthority.objects.filter(code="873").exists()
    assert LocalAuthority.objects.get(code="935").name == "Suffolk"
    assert [e["line"] for e in job.errors] == [2, 3, 4]
    assert job.errors[0]["reason"] == (
        "URN 555555 would be a new school in Suffolk, not one of your local authorities; the row was skipped"
    )
    assert "in LA 873, not one of your local authorities" in job.errors[1]["reason"]


def test_an_advisers_gias_upload_loads_the_good_rows_beside_the_refused_ones(
    client, world, django_capture_on_commit_callbacks
):
    content = csv_file(
        GIAS_HEADER,
        "123456,926,Norfolk,Mine Now,Norwich",
        "100001,926,Norfolk,Riverside Primary Academy,Norwich",
        "100009,926,Norfolk,New Norfolk School,Diss",
    )

    job = upload_as(client, world["adviser"], "gias", content, django_capture_on_commit_callbacks)

    assert School.objects.get(urn=100001).name == "Riverside Primary Academy"
    assert School.objects.get(urn=100009).local_authority == world["norfolk"]
    assert (job.created_count, job.updated_count, job.error_count) == (1, 1, 1)
    assert [e["line"] for e in job.errors] == [2]


def test_a_superusers_upload_is_a_national_import(client, world, django_capture_on_commit_callbacks):
    superuser = User.objects.create_superuser("owner@example.org", "correct horse battery staple")
    content = csv_file(GIAS_HEADER, "123456,926,Norfolk,Moved By GIAS,Norwich", "555555,873,Cambridgeshire,New,Ely")

    job = upload_as(client, superuser, "gias", content, django_capture_on_commit_callbacks)

    assert job.national
    assert job.errors == []
    moved = School.objects.get(urn=123456)
    assert (moved.name, moved.local_authority) == ("Moved By GIAS", world["norfolk"])
    assert School.objects.get(urn=555555).local_authority.code == "873"


def test_an_advisers_upload_is_never_national_whatever_is_posted(client, world, django_capture_on_commit_callbacks):
    content = csv_file(GIAS_HEADER, "123456,926,Norfolk,Mine Now,Norwich")

    job = upload_as(client, world["adviser"], "gias", content, django_capture_on_commit_callbacks, national="on")

    assert not job.national
    assert School.objects.get(urn=123456).name == "Lowestoft High"


def test_a_job_whose_uploader_lost_their_las_imports_nothing(world):
    adviser = world["adviser"]
    job = ImportJob.objects.create(
        kind="gias", created_by=adviser,
        file=ContentFile(csv_file(GIAS_HEADER, "100001,926,Norfolk,Changed,Norwich"), name="g.csv"),
    )
    adviser.local_authorities.clear()

    run_import_job(job.pk)

    job.refresh_from_db()
    assert School.objects.get(urn=100001).name == "Riverside Primary"
    assert "URN 100001 is in Norfolk, not one of your local authorities" in job.errors[0]["reason"]


def test_a_job_without_an_uploader_and_not_national_imports_nothing(world):
    job = ImportJob.objects.create(
        kind="gias", file=ContentFile(csv_file(GIAS_HEADER, "100001,926,Norfolk,Changed,Norwich"), name="g.csv"),
    )

    run_import_job(job.pk)

    assert School.objects.get(urn=100001).name == "Riverside Primary"


# --------------------------------------------------------------------------
# Ofsted and performance tables
# --------------------------------------------------------------------------


def test_it_refuses_an_advisers_ofsted_rows_for_another_las_school(world):
    content = csv_file(OFSTED_HEADER, "123456,20/11/2019,4", "100001,20/11/2019,2")

    result = OfstedImporter(scope=ImportScope.of(world["adviser"])).run(content)

    assert list(Inspection.objects.values_list("school__urn", flat=True)) == [100001]
    assert reasons(result) == {
        2: "URN 123456 is in Suffolk, not one of your local authorities; the row was skipped"
    }


def test_it_refuses_an_advisers_ofsted_upload_for_another_las_school(client, world, django_capture_on_commit_callbacks):
    content = csv_file(OFSTED_HEADER, "123456,20/11/2019,4")

    job = upload_as(client, world["adviser"], "ofsted", content, django_capture_on_commit_callbacks)

    assert not Inspection.objects.exists()
    assert job.errors[0]["line"] == 2


def test_it_refuses_an_advisers_results_for_another_las_school_and_other_areas(world):
    content = csv_file(
        KS2_HEADER,
        "1,935,123456,Lowestoft High,-3.5",
        "1,926,123456,Lowestoft High,-3.5",
        "1,935,100001,Riverside Primary,1.5",
        "1,926,100001,Riverside Primary,1.5",
        "1,935,555555,New Suffolk School,1.0",
        "4,935,,Suffolk LA average,0.5",
        "5,,,England - all schools,0",
        "4,926,,Norfolk LA average,0.1",
    )

    result = PerformanceImporter(year=2019, scope=ImportScope.of(world["adviser"])).run(content)

    assert list(SchoolResult.objects.values_list("school__urn", flat=True)) == [100001]
    assert list(AreaResult.objects.values_list("area_code", flat=True)) == ["926"]
    assert not School.objects.filter(urn=555555).exists()
    found = reasons(result)
    assert sorted(found) == [2, 3, 4, 6, 7, 8]
    assert found[2] == "URN 123456 is in Suffolk, not one of your local authorities; the row was skipped"
    assert "would move URN 100001 from Norfolk to Suffolk" in found[4]
    assert "Suffolk" in found[7] and "England" in found[8]


def test_a_national_import_still_takes_every_row(world):
    content = csv_file(OFSTED_HEADER, "123456,20/11/2019,4", "100001,20/11/2019,2")

    result = OfstedImporter().run(content)

    assert result.errors == []
    assert Inspection.objects.count() == 2


# --------------------------------------------------------------------------
# Role acquisition: an import never gives an adviser reach over another LA's school
# --------------------------------------------------------------------------


def test_an_import_cannot_give_an_adviser_reach_over_another_las_school(
    client, world, django_capture_on_commit_callbacks
):
    adviser = world["adviser"]
    deployment = DeploymentFactory(need=SupportNeedFactory(client_school=world["theirs"]))
    content = csv_file(GIAS_HEADER, "123456,926,Norfolk,Mine Now,Norwich")

    upload_as(client, adviser, "gias", content, django_capture_on_commit_callbacks)

    assert not adviser.advises(School.objects.get(urn=123456).local_authority_id)
    assert not Deployment.objects.filter(adviser.in_my_las("client_school__local_authority")).filter(
        pk=deployment.pk
    ).exists()
    assert client.get(reverse("deployments:detail", args=[deployment.pk])).status_code == 404


def test_a_gias_import_by_an_adviser_cannot_rename_another_la(client, world, django_capture_on_commit_callbacks):
    content = csv_file(GIAS_HEADER, "123456,935,Suffolk is Mine,Lowestoft High,Lowestoft")

    upload_as(client, world["adviser"], "gias", content, django_capture_on_commit_callbacks)

    assert LocalAuthority.objects.get(code="935").name == "Suffolk"


def test_the_import_scope_of_a_non_adviser_is_empty(world):
    headteacher_like = AdviserFactory(local_authorities=[world["norfolk"]], is_active=False)

    assert ImportScope.of(headteacher_like).local_authority_ids == frozenset()
    assert ImportScope.of(None).local_authority_ids == frozenset()


# --------------------------------------------------------------------------
# The import jobs in the admin: listed to their uploader's LAs, the file to its uploader
# --------------------------------------------------------------------------


@pytest.fixture
def jobs(world):
    norfolk_job = ImportJob.objects.create(
        kind="gias", created_by=world["adviser"], original_name="norfolk.csv",
        file=ContentFile(csv_file(GIAS_HEADER, "100001,926,Norfolk,Riverside,Norwich"), name="norfolk.csv"),
    )
    national_job = ImportJob.objects.create(
        kind="gias", national=True, original_name="edubasealldata.csv",
        created_by=User.objects.create_superuser("owner@example.org", "correct horse battery staple"),
        file=ContentFile(csv_file(GIAS_HEADER), name="edubasealldata.csv"),
    )
    return {"norfolk": norfolk_job, "national": national_job}


def listed(client, user) -> set[str]:
    client.force_login(user)
    response = client.get(reverse("admin:lle_portal_importjob_changelist"))
    assert response.status_code == 200
    return {job.original_name for job in response.context["cl"].result_list}


def test_another_las_adviser_neither_lists_nor_opens_an_import_job(client, world, jobs):
    suffolk_adviser = AdviserFactory(local_authorities=[world["suffolk"]])

    assert listed(client, suffolk_adviser) == set()
    response = client.get(reverse("admin:lle_portal_importjob_change", args=[jobs["norfolk"].pk]))
    assert response.status_code == 404
    assert client.get(reverse("admin:lle_portal_importjob_file", args=[jobs["norfolk"].pk])).status_code == 404


def test_the_advisers_of_the_uploaders_la_list_its_jobs_but_only_the_uploader_has_the_file(client, world, jobs):
    colleague = AdviserFactory(local_authorities=[world["norfolk"]])

    assert listed(client, colleague) == {"norfolk.csv"}
    assert client.get(reverse("admin:lle_portal_importjob_file", args=[jobs["norfolk"].pk])).status_code == 404

    assert listed(client, world["adviser"]) == {"norfolk.csv"}
    response = client.get(reverse("admin:lle_portal_importjob_file", args=[jobs["norfolk"].pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"URN,LA (code)")
    assert "no-store" in response["Cache-Control"]
    assert "norfolk.csv" in response["Content-Disposition"]


def test_an_adviser_never_sees_a_national_import_job(client, world, jobs):
    assert "edubasealldata.csv" not in listed(client, world["adviser"])
    assert client.get(reverse("admin:lle_portal_importjob_file", args=[jobs["national"].pk])).status_code == 404


def test_a_superuser_lists_every_job_and_downloads_any_file(client, world, jobs):
    superuser = jobs["national"].created_by

    assert listed(client, superuser) == {"norfolk.csv", "edubasealldata.csv"}
    assert client.get(reverse("admin:lle_portal_importjob_file", args=[jobs["norfolk"].pk])).status_code == 200


def test_signed_out_visitors_are_sent_to_sign_in_for_an_import_file(client, jobs):
    response = client.get(reverse("admin:lle_portal_importjob_file", args=[jobs["norfolk"].pk]))

    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))


# --------------------------------------------------------------------------
# Size cap and streamed reading
# --------------------------------------------------------------------------


def test_it_refuses_an_upload_over_the_size_cap_with_a_clear_message(client, world, settings):
    settings.LLE_MAX_UPLOAD_BYTES = 1000
    client.force_login(world["adviser"])
    content = csv_file(GIAS_HEADER, *[f"{100100 + i},926,Norfolk,School {i},Norwich" for i in range(100)])
    assert len(content) > 1000

    response = client.post(
        reverse("admin:lle_portal_importjob_add"),
        {"kind": "gias", "file": SimpleUploadedFile("big.csv", content, "text/csv")},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["file"] == [
        f"This file is {filesizeformat(len(content))}; the largest file the portal accepts is 1000\xa0bytes. "
        "Split it, or ask the site's operators to import a national file with manage.py."
    ]
    assert not ImportJob.objects.exists()
    assert not (settings.MEDIA_ROOT / "imports").exists()


def test_an_upload_within_the_cap_is_accepted(client, world, settings, django_capture_on_commit_callbacks):
    settings.LLE_MAX_UPLOAD_BYTES = 1000
    job = upload_as(
        client, world["adviser"], "gias", csv_file(GIAS_HEADER, "100001,926,Norfolk,Riverside,Norwich"),
        django_capture_on_commit_callbacks,
    )

    assert job.updated_count == 1


class NoWholeReads(io.BytesIO):
    """A file that refuses to be read whole, as a huge upload should never be."""

    def read(self, size: int | None = -1) -> bytes:
        assert size is not None and size >= 0, "the file was read whole"
        assert size <= 1024 * 1024, f"read {size} bytes at once"
        return super().read(size)

    def read1(self, size: int = -1) -> bytes:  # type: ignore[override]  # a test double: refuses size=None
        assert size >= 0, "the file was read whole"
        return super().read1(size)

    def readall(self) -> bytes:
        raise AssertionError("the file was read whole")


def test_the_importers_read_a_file_as_a_stream(world):
    content = csv_file(GIAS_HEADER, *[f"{100100 + i},926,Norfolk,School {i},Norwich" for i in range(3000)])

    result = OfstedImporter().run(NoWholeReads(csv_file(OFSTED_HEADER, "100001,20/11/2019,2")))
    assert result.created == 1
    from lle_portal.imports import GiasImporter

    result = GiasImporter(scope=ImportScope.of(world["adviser"])).run(NoWholeReads(content))
    assert (result.total_rows, result.created) == (3000, 3000)


def test_an_la_a_national_import_creates_is_given_to_no_adviser(client, world, django_capture_on_commit_callbacks):
    superuser = User.objects.create_superuser("owner@example.org", "correct horse battery staple")

    upload_as(client, superuser, "gias", csv_file(GIAS_HEADER, "555555,873,Cambridgeshire,New,Ely"),
              django_capture_on_commit_callbacks)

    cambs = LocalAuthority.objects.get(code="873")
    assert not cambs.advisers.exists()
    assert not world["adviser"].advises(cambs.pk)


def test_the_upload_page_says_whose_schools_the_import_changes(client, world):
    client.force_login(world["adviser"])
    page = client.get(reverse("admin:lle_portal_importjob_add")).content.decode()
    assert "changes only the schools of <strong>your local authorities</strong>" in page
    assert "The largest file the portal accepts is 20.0\xa0MB" in page
    assert 'name="national"' not in page

    client.force_login(User.objects.create_superuser("owner@example.org", "correct horse battery staple"))
    assert "<strong>national import</strong>" in client.get(reverse("admin:lle_portal_importjob_add")).content.decode()
