"""What the property-based tests (test_fuzz_*.py) share: hostile input and
the checks made on every answer. It holds no tests itself.

Each example runs inside a savepoint that is rolled back (`rolled_back`), so
one pytest test sets up its people and objects once and every example starts
from the same database. The hypothesis profile is in the root conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from urllib.parse import urlencode

from django.apps import apps
from django.db import connection, models, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# The per-test fixtures (users, client, objects) are made once per test, not
# once per example; each example is rolled back instead (see `rolled_back`).
fuzz = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Strings that have broken web forms somewhere: NUL bytes (PostgreSQL refuses
# them in text and JSON), injections, dates that do not exist, numbers out of
# any range, digits that are not ASCII, and text direction tricks.
PAYLOADS = [
    "", " ", "\x00", "a\x00b", "\x00\x00\x00", "%00",
    "'; DROP TABLE lle_portal_school; --", "' OR '1'='1", "1; SELECT pg_sleep(5)",
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)",
    "{{ 7*7 }}", "{% debug %}", "${7*7}", "%s%s%s%n", "../../../../etc/passwd",
    "\u202egnp.exe", "\ufeff", "\r\n\r\n", "\t", "null", "None", "true", "[]", "{}",
    "NaN", "Infinity", "-Infinity", "1e309", "1e-400", "-1", "-0", "0", "0.5", "9" * 40, "-9999999999999",
    "2147483648", "١٢٣", "²", "½", "0x1A", "1,000",
    "0000-00-00", "00/00/0000", "31/02/2021", "2021-02-31", "29/02/2023", "32/13/2020",
    "9999-12-31", "31/12/9999", "0001-01-01", "01/01/0001", "10000-01-01", "1/1/1",
    "𝕏𝔂𝔷", "Ω≈ç√", "🏫", "x" * 5_000,
]

hostile_text = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(max_size=40),
    st.text(alphabet="0123456789-/.,:%eE+ ", max_size=12),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)
# A lone surrogate cannot be UTF-8; a browser or a script can still send its
# bytes (see `form_body`), and Django must decode them without failing.
surrogate_text = st.text(alphabet=st.characters(categories=["Cs"]), min_size=1, max_size=5)
huge_text = st.sampled_from(["y" * 100_000, "word " * 20_000])


def field_value(good: Iterable[str] = ()) -> st.SearchStrategy:
    """A posted value: a good one, hostile text, a surrogate, a huge string, or
    several values where one is expected."""
    good = list(good)
    options = [hostile_text, surrogate_text, huge_text, st.lists(hostile_text, min_size=2, max_size=3)]
    if good:
        options = [st.sampled_from(good), st.sampled_from(good), *options]
    return st.one_of(*options)


def form_data(fields: Mapping[str, Iterable[str]], *, extra: bool = True) -> st.SearchStrategy:
    """A form body: each known field present or missing, good or hostile,
    plus a few fields the form does not have."""
    optional = {name: field_value(good) for name, good in fields.items()}
    base = st.fixed_dictionaries({}, optional=optional)
    if not extra:
        return base
    extras = st.dictionaries(st.text(min_size=1, max_size=12), hostile_text, max_size=2)
    return st.builds(lambda known, more: {**more, **known}, base, extras)


def form_body(data: dict[str, str | list[str]]) -> bytes:
    """URL-encode a form as a browser would; lone surrogates go as their raw
    (invalid UTF-8) bytes rather than making the test itself fail."""
    return urlencode(data, doseq=True, encoding="utf-8", errors="surrogatepass").encode("ascii")


def post_form(client, url: str, data: dict[str, str | list[str]], **extra):
    return client.post(url, form_body(data), content_type="application/x-www-form-urlencoded", **extra)


class _Rollback(Exception):
    pass


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run one example in a savepoint and undo whatever it wrote."""
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


WATCHED_APPS = ("lle_portal", "applications", "deployments", "auditlog")


def _watched_tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in WATCHED_APPS and model._meta.managed and not model._meta.proxy
    )


def table_counts() -> dict[str, int]:
    """The number of rows of every table of the project's apps, in one query."""
    tables = _watched_tables()
    quote = connection.ops.quote_name
    # Table names come from the models' metadata, never from input.
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(table)})" for table in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(zip(tables, cursor.fetchone(), strict=True))


def row_values(*objects: models.Model) -> list[dict]:
    """The stored values of each object's row, to compare before and after."""
    return [type(obj).objects.filter(pk=obj.pk).values().first() for obj in objects]  # type: ignore[attr-defined]


def assert_answered(response, allowed: Iterable[int] = (200, 302)) -> None:
    """Never a server error; only the statuses this page may give."""
    assert response.status_code < 500, response.status_code
    assert response.status_code in set(allowed), response.status_code


def assert_shows_errors(response) -> None:
    """A form page that refused the input says so at the top (the GOV.UK error summary)."""
    form = response.context["form"]
    assert form.errors, "a refused form must carry errors"
    assert "There is a problem" in response.content.decode()
