"""Import Ofsted inspection outcomes: `manage.py import_ofsted management_information.csv`."""

from __future__ import annotations

from typing import Any

from ...imports import OfstedImporter
from ...imports.base import ProgressCallback
from ...imports.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import Ofsted's management-information file of inspection outcomes (CSV). "
        "Schools must be known already: import GIAS first."
    )

    def make_importer(self, options: dict[str, Any], progress: ProgressCallback) -> OfstedImporter:
        return OfstedImporter(progress=progress)
