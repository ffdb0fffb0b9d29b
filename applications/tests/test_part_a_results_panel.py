"""Part A's "What the official data says" panel: the results over the last
three years as one narrow table per measure (its name as the caption), so the
panel never scrolls sideways and no figure is read without its measure (the
performance reason's own measure: test_eligibility_frameworks)."""

import re

import pytest
from django.urls import reverse

from applications.tests.factories import ApplicationFactory
from lle_portal.tests.factories import SchoolResultFactory

pytestmark = pytest.mark.django_db


def test_each_measure_has_its_own_table_with_its_name_as_the_caption(client, users):
    application = ApplicationFactory(applicant=users["headteacher"])
    for year, value in ((2023, 55), (2024, 58), (2025, 63)):
        SchoolResultFactory(school=application.school, year=year, value=value)
    client.force_login(users["headteacher"])
    html = client.get(reverse("applications:section", args=[application.pk, "performance"])).content.decode()

    panel = html.split("What the official data says", 1)[1]
    tables = re.findall(r'<table class="table table-sm official-results[^"]*">(.*?)</table>', panel, re.S)
    assert tables
    for table in tables:
        caption = re.search(r"<caption>([^<]+)</caption>", table).group(1)
        assert caption.strip() and not caption.strip().isdigit()
        assert 'scope="row"' not in table  # the years across, nothing else: three narrow columns
        assert len(re.findall(r"<th scope=\"col\">", table)) <= 3
    assert any("expected standard in reading, writing and maths" in t for t in tables)
    assert "table-responsive" not in panel  # nothing to scroll sideways
    assert "{#" not in html and "{% comment" not in html
