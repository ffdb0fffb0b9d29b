"""Reimbursement statements named their academic year by the year it starts in;
the portal now names every academic year by the year it ends in (issue 12,
lle_portal.schooldata), as the DfE names results. Add one to each stored year.

Rows are moved one at a time, newest first, so that the unique (LA, year,
term) constraint never sees two statements on the same year mid-update.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    Statement = apps.get_model("deployments", "ReimbursementStatement")
    for pk, year in Statement.objects.order_by("-academic_year").values_list("pk", "academic_year"):
        Statement.objects.filter(pk=pk).update(academic_year=year + 1)


def backwards(apps, schema_editor):
    Statement = apps.get_model("deployments", "ReimbursementStatement")
    for pk, year in Statement.objects.order_by("academic_year").values_list("pk", "academic_year"):
        Statement.objects.filter(pk=pk).update(academic_year=year - 1)


class Migration(migrations.Migration):
    dependencies = [
        ("deployments", "0005_academic_year_named_by_its_end"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
