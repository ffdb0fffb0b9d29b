import pytest

from lle_portal.audit import audit_record
from lle_portal.models import OutgoingEmail


@pytest.fixture
def records(users):
    school = users["headteacher"].school
    for n in range(3):
        audit_record(verb="school.checked", target=school, actor=users["adviser"], data={"n": n})
        OutgoingEmail.objects.create(to=f"p{n}@x.example", subject=f"Subject {n}", body_text="b", template="t")


@pytest.mark.parametrize(
    ("role", "expected"),
    [("adviser", 200), ("headteacher", 302), ("governor", 302), ("assessor", 403)],
)
def test_only_advisers_see_the_audit_trail(client, users, records, role, expected):
    client.force_login(users[role])
    assert client.get("/admin/lle_portal/auditevent/").status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [("adviser", 403), ("headteacher", 302), ("governor", 302), ("assessor", 403)],
)
def test_sent_email_is_an_internal_table_for_superusers(client, users, records, role, expected):
    # The emails that matter are shown where the adviser works (an application's references).
    client.force_login(users[role])
    assert client.get("/admin/lle_portal/outgoingemail/").status_code == expected


def test_the_audit_trail_lists_who_did_what(client, users, records, django_assert_max_num_queries):
    client.force_login(users["adviser"])
    with django_assert_max_num_queries(12):
        response = client.get("/admin/lle_portal/auditevent/")
    assert "school.checked" in response.content.decode()
    assert users["adviser"].full_name in response.content.decode()


def test_nobody_can_edit_an_audit_event(client, users, records):
    from lle_portal.models import AuditEvent

    client.force_login(users["adviser"])
    event = AuditEvent.objects.first()
    response = client.post(f"/admin/lle_portal/auditevent/{event.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_an_admin_edit_is_recorded_with_who_made_it(client, users, la):
    from auditlog.models import LogEntry

    client.force_login(users["adviser"])
    response = client.post(f"/admin/lle_portal/localauthority/{la.pk}/change/", {"code": la.code, "name": "Norfolk CC"})
    assert response.status_code == 302
    entry = LogEntry.objects.get_for_object(la).latest("timestamp")
    assert entry.actor == users["adviser"]
    assert entry.changes_dict["name"] == ["Norfolk", "Norfolk CC"]
