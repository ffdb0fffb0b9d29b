from django.core.wsgi import get_wsgi_application

from .config import settings_module_choose

# .env is read first; without DJANGO_SETTINGS_MODULE there or in the
# environment, gunicorn runs the production settings (lle_portal/config.py
# explains why this replaces the Celery app's local default).
settings_module_choose("lle_portal.settings.production")
application = get_wsgi_application()
