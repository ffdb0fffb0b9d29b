"""The DfE floor standards the eligibility check uses (docs/programme.md §3.6), as data."""

from django.db import migrations

KS2_PROGRESS = {"READPROG": -5, "MATPROG": -5, "WRITPROG": -7}

STANDARDS = [
    ("KS2", 2011, "PTENGMATX", 60, {}, True,
     "At least 60% at Level 4+ in English and maths, or expected progress at or above the England median"),
    ("KS2", 2012, "PTENGMATX", 60, {}, True,
     "At least 60% at Level 4+ in English and maths, or expected progress at or above the England median"),
    ("KS2", 2013, "PTREADWRITTAMATX", 60, {}, True,
     "At least 60% at Level 4+ in reading, writing and maths, or expected progress at or above the median"),
    ("KS2", 2014, "PTREADWRITTAMATX", 65, {}, True,
     "At least 65% at Level 4+ in reading, writing and maths, or expected progress at or above the median"),
    ("KS2", 2015, "PTREADWRITTAMATX", 65, {}, True,
     "At least 65% at Level 4+ in reading, writing and maths, or expected progress at or above the median"),
    *[
        ("KS2", year, "PTRWM_EXP", 65, KS2_PROGRESS, False,
         "At least 65% reach the expected standard in reading, writing and maths, "
         "or progress of at least -5 in reading, -5 in maths and -7 in writing")
        for year in (2016, 2017, 2018, 2019)
    ],
    *[
        ("KS4", year, "", None, {"P8MEA": -0.5}, True,
         "Below the floor when Progress 8 is below -0.5 and its confidence interval is wholly below zero")
        for year in (2016, 2017, 2018, 2019)
    ],
]


def load(apps, schema_editor):
    FloorStandard = apps.get_model("applications", "FloorStandard")
    for key_stage, year, measure, minimum, progress, verify, description in STANDARDS:
        FloorStandard.objects.update_or_create(
            key_stage=key_stage, year=year,
            defaults={
                "attainment_measure": measure, "attainment_min": minimum, "progress_minimums": progress,
                "fail_needs_verification": verify, "description": description,
            },
        )


def unload(apps, schema_editor):
    apps.get_model("applications", "FloorStandard").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("applications", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
