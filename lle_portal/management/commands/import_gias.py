"""Import a GIAS establishment extract: `manage.py import_gias edubasealldata.csv`."""

from __future__ import annotations

from typing import Any

from ...imports import GiasImporter
from ...imports.base import ProgressCallback
from ...imports.command import ImportCommand


class Command(ImportCommand):
    help = "Import a GIAS establishment extract (CSV): creates or updates schools and local authorities by URN."

    def make_importer(self, options: dict[str, Any], progress: ProgressCallback) -> GiasImporter:
        return GiasImporter(progress=progress)
