"""Statements that add up: each line says whether it pays the statement's own
term or arrears of an earlier one, and a finalised statement never changes.

1. Existing lines: a visit dated before its statement's term is arrears; each
   prepared statement is version 1.
2. The database refuses any change to a finalised statement (its LA, term,
   status, version) or to its lines (insert, update of what they pay, delete):
   services, the admin and a hand-typed UPDATE meet the same rule. Only its PDF
   may be (re)made. PostgreSQL and SQLite each get their own triggers.
"""

from django.db import migrations

from deployments.terms import term_dates

MESSAGE = "A finalised reimbursement statement never changes."
LINE_COLUMNS = ["statement_id", "visit_id", "kind", "held", "adjusts_id", "note", "lle_school_id", "days",
                "rate_per_day", "amount", "approved_at"]
STATEMENT_COLUMNS = ["local_authority_id", "academic_year", "term", "status", "version", "finalised_at"]


def _row(prefix: str, columns: list[str]) -> str:
    return "ROW(" + ", ".join(f"{prefix}.{c}" for c in columns) + ")"


def _differs(columns: list[str]) -> str:
    return "(" + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns) + ")"


POSTGRES = [
    f"""
CREATE OR REPLACE FUNCTION deployments_line_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF EXISTS (SELECT 1 FROM deployments_reimbursementstatement WHERE id = NEW.statement_id
               AND status = 'finalised') THEN
      RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
  END IF;
  IF TG_OP = 'DELETE' THEN
    IF EXISTS (SELECT 1 FROM deployments_reimbursementstatement WHERE id = OLD.statement_id
               AND status = 'finalised') THEN
      RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = '23514';
    END IF;
    RETURN OLD;
  END IF;
  IF {_row("NEW", LINE_COLUMNS)} IS DISTINCT FROM {_row("OLD", LINE_COLUMNS)}
     AND EXISTS (SELECT 1 FROM deployments_reimbursementstatement WHERE id IN (OLD.statement_id, NEW.statement_id)
                 AND status = 'finalised') THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END $$;
""",
    """
CREATE TRIGGER deployments_line_frozen BEFORE INSERT OR UPDATE OR DELETE ON deployments_reimbursementline
FOR EACH ROW EXECUTE FUNCTION deployments_line_frozen();
""",
    f"""
CREATE OR REPLACE FUNCTION deployments_statement_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status = 'finalised' THEN
      RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = '23514';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.status = 'finalised' AND {_row("NEW", STATEMENT_COLUMNS)} IS DISTINCT FROM {_row("OLD", STATEMENT_COLUMNS)} THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END $$;
""",
    """
CREATE TRIGGER deployments_statement_frozen BEFORE UPDATE OR DELETE ON deployments_reimbursementstatement
FOR EACH ROW EXECUTE FUNCTION deployments_statement_frozen();
""",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS deployments_line_frozen ON deployments_reimbursementline;",
    "DROP FUNCTION IF EXISTS deployments_line_frozen();",
    "DROP TRIGGER IF EXISTS deployments_statement_frozen ON deployments_reimbursementstatement;",
    "DROP FUNCTION IF EXISTS deployments_statement_frozen();",
]

_FINAL = "(SELECT status FROM deployments_reimbursementstatement WHERE id = {}.statement_id) = 'finalised'"
_RAISE = f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
SQLITE = [
    f"CREATE TRIGGER deployments_line_frozen_insert BEFORE INSERT ON deployments_reimbursementline "
    f"WHEN {_FINAL.format('NEW')} {_RAISE}",
    f"CREATE TRIGGER deployments_line_frozen_delete BEFORE DELETE ON deployments_reimbursementline "
    f"WHEN {_FINAL.format('OLD')} {_RAISE}",
    f"CREATE TRIGGER deployments_line_frozen_update BEFORE UPDATE ON deployments_reimbursementline "
    f"WHEN {_differs(LINE_COLUMNS)} AND ({_FINAL.format('OLD')} OR {_FINAL.format('NEW')}) {_RAISE}",
    f"CREATE TRIGGER deployments_statement_frozen_update BEFORE UPDATE ON deployments_reimbursementstatement "
    f"WHEN OLD.status = 'finalised' AND {_differs(STATEMENT_COLUMNS)} {_RAISE}",
    f"CREATE TRIGGER deployments_statement_frozen_delete BEFORE DELETE ON deployments_reimbursementstatement "
    f"WHEN OLD.status = 'finalised' {_RAISE}",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {name};" for name in (
        "deployments_line_frozen_insert", "deployments_line_frozen_delete", "deployments_line_frozen_update",
        "deployments_statement_frozen_update", "deployments_statement_frozen_delete",
    )
]


def label_arrears(apps, schema_editor):
    Statement = apps.get_model("deployments", "ReimbursementStatement")
    Line = apps.get_model("deployments", "ReimbursementLine")
    for statement in Statement.objects.all():
        starts = term_dates(statement.academic_year, statement.term).starts_on
        Line.objects.filter(statement=statement, visit__visit_date__lt=starts).update(kind="arrears")
    Statement.objects.filter(prepared_at__isnull=False).update(version=1)


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):
    dependencies = [
        ("deployments", "0008_statements_periods_arrears_adjustments"),
    ]

    operations = [
        migrations.RunPython(label_arrears, migrations.RunPython.noop),
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_DROP, "sqlite": SQLITE_DROP}),
        ),
    ]
