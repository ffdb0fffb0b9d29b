from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from lle_portal.models import AuditEvent, Inspection, School, SchoolResult

DATA = Path(__file__).parent / "data"

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_gias_prints_a_summary_and_each_bad_line():
    out, err = run("import_gias", str(DATA / "gias_small.csv"))

    assert "Imported gias_small.csv: 7 rows read; 4 schools created" in out
    assert "Rows that could not be used (5):" in out
    assert "line 4: the URN 'abc' is not a number; the row was skipped" in out
    assert "line 7: URN 100001 appears again (first on line 2)" in out
    assert School.objects.count() == 4
    assert AuditEvent.objects.get().actor_label == "manage.py import_gias"


def test_the_commands_show_a_progress_bar_on_stderr():
    _out, err = run("import_gias", str(DATA / "gias_small.csv"))

    assert "100%" in err
    assert "7/7" in err


def test_import_ofsted_lists_schools_to_import_from_gias_first():
    run("import_gias", str(DATA / "gias_small.csv"))

    out, _err = run("import_ofsted", str(DATA / "ofsted_small.csv"), "--no-progress")

    assert "5 inspections created" in out
    assert "line 5: school URN 999999 is not in the portal; import GIAS first" in out
    assert Inspection.objects.count() == 5


def test_import_performance_takes_the_year_and_key_stage():
    out, _err = run("import_performance", str(DATA / "ks2_small.csv"), "--year", "2019", "--key-stage", "KS2")

    assert "results created" in out
    assert "line 4: READPROG 'lots' is not a number" in out
    assert set(SchoolResult.objects.values_list("year", "key_stage").distinct()) == {(2019, "KS2")}


def test_import_performance_needs_a_year():
    with pytest.raises(CommandError, match="--year"):
        call_command("import_performance", str(DATA / "ks2_small.csv"))


@pytest.mark.parametrize(
    ("command", "file"),
    [
        ("import_gias", "gias_missing_column.csv"),
        ("import_ofsted", "ofsted_missing_column.csv"),
        ("import_performance", "performance_no_measures.csv"),
    ],
)
def test_the_commands_fail_on_a_missing_required_column_and_load_nothing(command, file):
    args = [command, str(DATA / file)] + (["--year", "2019"] if command == "import_performance" else [])

    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command(*args, stdout=StringIO(), stderr=StringIO())

    assert not School.objects.exists()
    assert not Inspection.objects.exists()


def test_the_commands_fail_on_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="There is no file"):
        call_command("import_gias", str(tmp_path / "nothing.csv"))


def test_the_commands_cap_the_list_of_bad_rows(tmp_path):
    path = tmp_path / "many_bad.csv"
    lines = ["URN,LA (code),LA (name),EstablishmentName"] + [f"bad{i},926,Norfolk,School {i}" for i in range(60)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    out, _err = run("import_gias", str(path), "--no-progress")

    assert "Rows that could not be used (60):" in out
    assert "line 51: the URN 'bad49'" in out
    assert "line 52:" not in out
    assert "… and 10 more" in out
