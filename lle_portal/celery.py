from celery import Celery

from .config import settings_module_choose

# .env is read first, so DJANGO_SETTINGS_MODULE in it holds for the worker and
# beat as for manage.py and gunicorn.
settings_module_choose("lle_portal.settings.local")

app = Celery("lle_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
