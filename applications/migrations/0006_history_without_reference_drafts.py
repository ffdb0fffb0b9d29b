"""Data only: remove from the field history (django-auditlog) what it must
never have kept of a sponsor's or chair's emailed link: the autosaved draft,
the answers and the decline reason (safeguarding answers among them). The
registration in applications/apps.py excludes these fields from now on."""

from django.db import migrations

PRIVATE_FIELDS = ("draft", "answers", "decline_reason")


def forget_private_fields(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    LogEntry = apps.get_model("auditlog", "LogEntry")
    content_type = ContentType.objects.filter(app_label="applications", model="linkrequest").first()
    if content_type is None:
        return
    for entry in LogEntry.objects.filter(content_type=content_type).iterator():
        changes = entry.changes if isinstance(entry.changes, dict) else None
        serialized = entry.serialized_data if isinstance(entry.serialized_data, dict) else None
        fields = serialized.get("fields") if serialized and isinstance(serialized.get("fields"), dict) else None
        hit = (changes and any(f in changes for f in PRIVATE_FIELDS)) or (
            fields and any(f in fields for f in PRIVATE_FIELDS)
        )
        if not hit:
            continue
        for name in PRIVATE_FIELDS:
            if changes:
                changes.pop(name, None)
            if fields:
                fields.pop(name, None)
        LogEntry.objects.filter(pk=entry.pk).update(changes=changes, serialized_data=serialized)


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0005_governors_approved_is_the_heads_word"),
        ("auditlog", "0017_add_actor_email"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forget_private_fields, migrations.RunPython.noop)]
