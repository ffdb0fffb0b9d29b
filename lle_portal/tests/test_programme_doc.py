"""docs/programme.md: every rule the code cites is a heading there, and every
module, function and file the page names exists.

A comment cites a rule as "docs/programme.md §9.1"; the page names code as
dotted paths in backticks (`deployments.models.duration_problem`) and files as
paths (`templates/impact/_performance_table.html`). A rename or a move that
leaves the page behind fails here, naming what to update.
"""

import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "programme.md"
APPS = ("applications", "deployments", "impact", "lle_portal")
SCANNED = (".py", ".html", ".txt", ".md")
SKIPPED_DIRS = {".venv", ".git", "node_modules", "var", "staticfiles", "__pycache__"}

HEADING = re.compile(r"^#{2,4} §(\d+(?:\.\d+)*) \S", re.MULTILINE)
CITATION = re.compile(r"docs/programme\.md,? §(\d+(?:\.\d+)*)")
SECTION_REF = re.compile(r"§(\d+(?:\.\d+)*)")
DOTTED = re.compile(rf"`((?:{'|'.join(APPS)})(?:\.\w+)+)`")
FILE_PATH = re.compile(r"`([\w./-]+\.(?:py|html|txt|md))`")
# How comments cited the rules before this page: documents outside the repository.
OUTSIDE = re.compile(r"\bseeds? 00\d|\bDESIGN(?:\.md)? §|\bDESIGN\.md|\bthe seeds?(?![\w-])", re.IGNORECASE)


def headings(text: str) -> list[str]:
    return HEADING.findall(text)


def citations(text: str) -> list[str]:
    return CITATION.findall(text)


def resolve(dotted: str) -> str:
    """'' when `dotted` names a module, or an attribute of one, that exists;
    otherwise why not. The longest importable prefix is the module."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module_name = ".".join(parts[:cut])
        try:
            target = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name and not module_name.startswith(error.name):
                return f"importing {module_name} fails: {error}"
            continue
        for name in parts[cut:]:
            if not hasattr(target, name):
                return f"{module_name} has no {'.'.join(parts[cut:])}"
            target = getattr(target, name)
        return ""
    return "no such module"


def repository_files():
    for path in ROOT.rglob("*"):
        if path.suffix in SCANNED and path.is_file() and not SKIPPED_DIRS & set(path.relative_to(ROOT).parts):
            yield path


def test_the_parsers_read_what_a_comment_and_the_page_write():
    assert citations("# The rule (docs/programme.md §9.1; docs/programme.md §3).") == ["9.1", "3"]
    assert headings("## §3 Eligibility\n### §3.2 Three years\n#### not numbered\n") == ["3", "3.2"]
    assert DOTTED.findall("`deployments.models.duration_problem`, `django.db.models`") == [
        "deployments.models.duration_problem"]
    assert resolve("deployments.models.duration_problem") == ""
    assert resolve("deployments.models.Deployment.visit_gap_allowed") == ""
    assert resolve("applications.migrations.0002_floor_standards.STANDARDS") == ""
    assert resolve("deployments.models.no_such_rule") == "deployments.models has no no_such_rule"
    assert resolve("deployments.no_such_module.rule") == "deployments has no no_such_module.rule"


def test_the_sections_are_numbered_once_each_under_a_parent():
    numbers = headings(DOC.read_text())
    assert numbers, "docs/programme.md has no numbered sections"
    assert len(numbers) == len(set(numbers)), f"numbered twice: {sorted({n for n in numbers if numbers.count(n) > 1})}"
    orphans = [n for n in numbers if "." in n and n.rsplit(".", 1)[0] not in numbers]
    assert not orphans, f"sections without their parent section: {orphans}"


def test_every_section_the_code_cites_exists():
    sections = set(headings(DOC.read_text()))
    missing = []
    for path in repository_files():
        for number, line in ((n, i) for i, text in enumerate(path.read_text(errors="ignore").splitlines(), 1)
                             for n in citations(text)):
            if number not in sections:
                missing.append(f"{path.relative_to(ROOT)}:{line} cites §{number}")
    assert not missing, f"citations of docs/programme.md sections that do not exist: {missing}"


def test_every_section_the_page_refers_to_exists():
    text = DOC.read_text()
    sections = set(headings(text))
    missing = sorted({n for n in SECTION_REF.findall(text) if n not in sections}, key=lambda n: [int(p) for p in
                                                                                                n.split(".")])
    assert not missing, f"docs/programme.md refers to sections it does not have: {missing}"


def test_every_module_and_function_the_page_names_exists():
    named = sorted(set(DOTTED.findall(DOC.read_text())))
    assert len(named) > 100, "the page should name the code of every rule"
    broken = {dotted: why for dotted in named if (why := resolve(dotted))}
    assert not broken, f"docs/programme.md names code that does not exist: {broken}"


def test_every_file_the_page_names_exists():
    named = sorted(set(FILE_PATH.findall(DOC.read_text())))
    missing = [path for path in named if not (ROOT / path).is_file()]
    assert not missing, f"docs/programme.md names files that do not exist: {missing}"


def test_no_comment_cites_a_document_outside_the_repository():
    this = Path(__file__).resolve()
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in repository_files() if path.resolve() != this
        for number, line in enumerate(path.read_text(errors="ignore").splitlines(), 1) if OUTSIDE.search(line)
    ]
    assert not found, f"cite docs/programme.md instead: {found}"
