"""Erase or pseudonymise everything held about a person once the retention
period has passed: `manage.py erase_personal_data EMAIL [--dry-run] [--force]`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...privacy import PrivacyError, person_erase, retention_days


class Command(BaseCommand):
    help = ("Erase a person's personal data (found by email address), keeping the programme's records and "
            "statistics under a pseudonym. Refused until PERSONAL_DATA_RETENTION_DAYS after their last activity "
            "unless --force.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--dry-run", action="store_true", help="Say what would change, and change nothing.")
        parser.add_argument(
            "--force", action="store_true",
            help=f"Erase even before the retention period ({retention_days()} days) has passed.",
        )

    def handle(self, *args, email: str, dry_run: bool = False, force: bool = False, **options) -> None:
        try:
            result = person_erase(email=email, actor_label="command line", force=force, dry_run=dry_run)
        except PrivacyError as error:
            raise CommandError(str(error)) from error
        verb = "Would replace" if dry_run else "Replaced"
        self.stdout.write(f"{verb} the person's data with the pseudonym \"{result.pseudonym}\"" +
                          (" (forced, before the end of the retention period)." if result.forced else "."))
        for label, count in result.counts.items():
            self.stdout.write(f"  {label}: {count} row(s)")
        if result.swept:
            self.stdout.write(self.style.WARNING(
                "The email address was also found, and replaced, where no provider looked: "
                + ", ".join(f"{table} ({count})" for table, count in result.swept.items())))
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
        else:
            self.stdout.write(self.style.SUCCESS("Done."))
