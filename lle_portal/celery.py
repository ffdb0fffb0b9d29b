import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lle_portal.settings.local")

app = Celery("lle_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
