"""The shared PDF helper: real PDFs, styled from the site's static files, and
never a fetch from anywhere else."""

import base64
import shutil
import subprocess

import pytest

from lle_portal import pdf
from lle_portal.pdf import render_pdf, static_files_only_fetcher

needs_poppler = pytest.mark.skipif(not shutil.which("pdftoppm"), reason="needs poppler-utils (pdftoppm)")


@pytest.fixture
def template(tmp_path, settings):
    """A throwaway template: `template(html)` gives its name. (Changing
    TEMPLATES makes Django rebuild its template engines.)"""
    folder = tmp_path / "templates"
    folder.mkdir()
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [folder, *settings.TEMPLATES[0]["DIRS"]]}]

    def write(html: str) -> str:
        (folder / "doc.html").write_text(html)
        return "doc.html"

    return write


def test_it_renders_a_template_to_a_real_pdf(template, tmp_path):
    data = render_pdf(template('<link rel="stylesheet" href="css/pdf.css"><h1>{{ title }}</h1>'), {"title": "Hello"})
    assert data.startswith(b"%PDF")
    assert b"%%EOF" in data[-64:]


@needs_poppler
def test_pdftoppm_can_draw_the_pdf(template, tmp_path):
    (tmp_path / "doc.pdf").write_bytes(render_pdf(template("<p>A page</p>")))
    subprocess.run(["pdftoppm", "-png", "-r", "30", str(tmp_path / "doc.pdf"), str(tmp_path / "page")], check=True)
    assert (tmp_path / "page-1.png").stat().st_size > 100


def test_the_fetcher_serves_the_sites_static_files():
    fetcher = static_files_only_fetcher()
    root = pdf.static_root()
    response = fetcher.fetch((root / "css" / "pdf.css").as_uri())
    assert b"@page" in response.read()
    response.close()
    # A {% static %} URL, resolved against the static folder as base.
    by_static_url = fetcher.fetch("file:///static/css/pdf.css")
    assert b"@page" in by_static_url.read()
    by_static_url.close()


def test_the_fetcher_serves_data_urls():
    svg = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>').decode()
    response = static_files_only_fetcher().fetch(f"data:image/svg+xml;base64,{svg}")
    assert response.read().startswith(b"<svg")
    response.close()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:1/steal.css",
        "https://example.org/logo.png",
        "ftp://example.org/x",
        "file:///etc/passwd",
        "file:///static/../../etc/passwd",
    ],
)
def test_the_fetcher_refuses_the_network_and_other_files(url):
    with pytest.raises(ValueError, match="Only the site's static files"):
        static_files_only_fetcher().fetch(url)


def test_a_document_that_refers_to_the_network_still_renders_without_it(template, monkeypatch):
    opened = []
    monkeypatch.setattr("urllib.request.OpenerDirector.open", lambda self, *a, **k: opened.append(a))
    data = render_pdf(template('<img src="http://127.0.0.1:1/tracker.png"><p>Text</p>'))
    assert data.startswith(b"%PDF")
    assert opened == []
