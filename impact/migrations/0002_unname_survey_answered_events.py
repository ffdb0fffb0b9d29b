"""Data migration (issue 11): the audit events once recorded on each answer
("survey.answered", "survey.answers_changed") named the respondent and the
time, which beside live results said what they answered. They lose the name
and the invitation; the fact that an answer came in stays."""

from django.db import migrations

VERBS = ("survey.answered", "survey.answers_changed")


def unname(apps, schema_editor):
    AuditEvent = apps.get_model("lle_portal", "AuditEvent")
    AuditEvent.objects.filter(verb__in=VERBS).update(actor=None, actor_label="", data={})


class Migration(migrations.Migration):
    dependencies = [
        ("impact", "0001_initial"),
        ("lle_portal", "0002_report"),
    ]

    operations = [migrations.RunPython(unname, migrations.RunPython.noop)]
