"""Import DfE performance tables:
`manage.py import_performance england_ks2final.csv --year 2019 [--key-stage KS2]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from ...imports import PerformanceImporter
from ...imports.base import ProgressCallback
from ...imports.command import ImportCommand
from ...models import KeyStage


class Command(ImportCommand):
    help = (
        "Import a DfE performance-tables file (KS1, KS2 or KS4, CSV) for one year. The key stage is "
        "found from the measure columns unless --key-stage is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--year", type=int, required=True, help="The year the academic year ends, e.g. 2019 for 2018/19."
        )
        parser.add_argument("--key-stage", choices=KeyStage.values, help="Override the key stage the file is read as.")

    def make_importer(self, options: dict[str, Any], progress: ProgressCallback) -> PerformanceImporter:
        return PerformanceImporter(year=options["year"], key_stage=options["key_stage"], progress=progress)
