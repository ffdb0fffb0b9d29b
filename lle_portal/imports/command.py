"""What the three import management commands share: a progress bar on
stderr, a summary, and the bad rows with their line numbers."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from .base import Importer, ImportFileError, ImportResult, ProgressCallback

# Enough to see what is wrong with a file; the rest are counted.
MAX_ERRORS_SHOWN = 50


class ImportCommand(BaseCommand):
    """Base of `import_gias`, `import_ofsted` and `import_performance`."""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The CSV file to import.")
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not show the progress bar (nor does --verbosity 0)."
        )

    def make_importer(self, options: dict[str, Any], progress: ProgressCallback) -> Importer:
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"There is no file at {path}.")
        # tqdm rewrites its line with "\r": it needs the real stream, not
        # Django's OutputWrapper (which adds a newline to every write).
        stream = getattr(self.stderr, "_out", sys.stderr)
        quiet = options["no_progress"] or options["verbosity"] == 0
        bars: list[tqdm] = []

        def progress(processed: int, total: int) -> None:
            # Made on the first call, once the file has been read and its
            # columns checked, so that a refused file shows no empty bar.
            if not bars:
                bars.append(
                    tqdm(total=total, unit=" rows", desc=path.name, file=stream, disable=quiet)
                )
            bars[0].update(processed - bars[0].n)

        try:
            importer = self.make_importer(options, progress)
            result = importer.run(path, actor_label=f"manage.py {self.command_name}")
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            for bar in bars:
                bar.close()
        self.report(result)

    @property
    def command_name(self) -> str:
        return self.__module__.rsplit(".", 1)[-1]

    def report(self, result: ImportResult) -> None:
        self.stdout.write(self.style.SUCCESS(f"Imported {result.file_name}: {result.summary()}"))
        if not result.errors:
            return
        self.stdout.write(self.style.WARNING(f"Rows that could not be used ({result.error_count:,}):"))
        for error in result.errors[:MAX_ERRORS_SHOWN]:
            self.stdout.write(f"  {error}")
        hidden = result.error_count - MAX_ERRORS_SHOWN
        if hidden > 0:
            self.stdout.write(f"  … and {hidden:,} more")
