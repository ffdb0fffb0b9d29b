"""PDF documents (contracts, statements, reports) rendered from templates by WeasyPrint.

    pdf_bytes = render_pdf("pdf/contract.html", {"deployment": deployment})

Templates link their stylesheets and images relative to the static folder
(`<link rel="stylesheet" href="css/pdf.css">`), or by their static URL
(`{% static 'css/pdf.css' %}`). The fetcher serves only the site's own static
files and inline `data:` images: a PDF never reaches the network, so what a
template (or text typed into one) refers to cannot make the server fetch a URL.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

# WeasyPrint reports each rendering step at INFO ("Step 2 - Fetching and
# parsing CSS"): noise in the web and worker logs. Its warnings still show.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def static_root() -> Path:
    """The folder relative URLs in PDF templates are resolved against."""
    return Path(settings.BASE_DIR) / "static"


def static_path(path: str) -> Path | None:
    """The real file of a static asset at `path` (a file URL's path), or None
    if it is not one of the site's static files."""
    root = static_root().resolve()
    candidate = Path(path).resolve()
    if candidate.is_relative_to(root) and candidate.is_file():
        return candidate
    # `{% static %}` URLs ("/static/css/pdf.css") resolve to file:///static/...:
    # look the rest up as a static file (app folders and STATICFILES_DIRS too).
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    if path.startswith(prefix):
        try:
            found = finders.find(path.removeprefix(prefix))
        except SuspiciousFileOperation:  # "../" out of the static folders
            return None
        if found:
            return Path(found).resolve()
    return None


@cache
def _fetcher_class():
    # WeasyPrint is imported on first use: it parses its stylesheets on import,
    # which every manage.py command and worker would otherwise pay for.
    from weasyprint.urls import URLFetcher

    class StaticFilesOnlyFetcher(URLFetcher):
        """Fetch `data:` URLs and the site's static files; refuse everything else."""

        def fetch(self, url: str, headers=None):
            parsed = urlparse(url)
            if parsed.scheme == "data":
                return super().fetch(url, headers)
            if parsed.scheme == "file":
                path = static_path(unquote(parsed.path))
                if path is not None:
                    return super().fetch(path.as_uri(), headers)
            logger.warning("PDF rendering refused to fetch %s", url[:200])
            raise ValueError(f"Only the site's static files can be used in a PDF, not {url[:200]}")

    return StaticFilesOnlyFetcher


def static_files_only_fetcher():
    return _fetcher_class()(allowed_protocols=("data", "file"), allow_redirects=False)


def render_pdf(template_name: str, context: dict[str, Any] | None = None) -> bytes:
    """Render a Django template to PDF bytes."""
    from weasyprint import HTML

    html = render_to_string(template_name, {"site_name": settings.SITE_NAME, **(context or {})})
    document = HTML(string=html, base_url=str(static_root()) + "/", url_fetcher=static_files_only_fetcher())
    return document.write_pdf()
