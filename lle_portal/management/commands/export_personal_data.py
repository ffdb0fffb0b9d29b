"""Export everything held about a person: `manage.py export_personal_data EMAIL [--output FILE]`."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...privacy import PrivacyError, person_export


class Command(BaseCommand):
    help = ("Export everything the portal holds about a person, found by email address (an account holder, "
            "a sponsor, a chair of governors...), as JSON.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--output", "-o", help="Write the JSON to this file instead of standard output.")

    def handle(self, *args, email: str, output: str | None = None, **options) -> None:
        try:
            data = person_export(email=email, actor_label="command line")
        except PrivacyError as error:
            raise CommandError(str(error)) from error
        text = json.dumps(data, indent=2, ensure_ascii=False)
        if output:
            Path(output).write_text(text + "\n", encoding="utf-8")
            self.stderr.write(self.style.SUCCESS(f"Wrote the personal data of {data['email']} to {output}."))
        else:
            self.stdout.write(text)
