#!/usr/bin/env python
import sys


def main() -> None:
    # .env (and DJANGO_SETTINGS_MODULE in it) is read before the settings are
    # chosen, as by Celery and gunicorn (lle_portal/config.py).
    from lle_portal.config import settings_module_choose

    settings_module_choose("lle_portal.settings.local")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
