"""Build (or refresh) the demo programme for Norfolk and print the demo logins."""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand

from lle_portal import demo


class Command(BaseCommand):
    help = "Load realistic demo data for one LA (Norfolk). Safe to run again: nothing is duplicated."

    def add_arguments(self, parser):
        parser.add_argument(
            "--national", action="store_true",
            help="Import every school in England from the shipped files, not only Norfolk's (slower).",
        )

    def handle(self, *args, national: bool = False, **options):
        ctx = demo.DemoContext(out=self.stdout)
        demo.seed(ctx, national=national)
        # Each app adds its part (rounds, deployments, surveys) in <app>/demo.py.
        for config in apps.get_app_configs():
            if config.name == "lle_portal" or not find_spec(f"{config.name}.demo"):
                continue
            import_module(f"{config.name}.demo").seed(ctx)

        self.stdout.write(self.style.SUCCESS(f"\nDemo logins (password for all: {demo.DEMO_PASSWORD})"))
        for role, name, email in ctx.logins:
            self.stdout.write(f"  {role:<27} {name:<30} {email}")
