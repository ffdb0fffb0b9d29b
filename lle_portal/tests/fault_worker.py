"""The Celery app for a worker that a fault test kills: `celery -A
lle_portal.tests.fault_worker worker`. It is the project's app, with:

- the faulty email backend (lle_portal/tests/faulty_email_backend.py);
- a journal, $LLE_FAULT_DIR/journal.log: one line when each task starts and
  one when it returns (with its result), so a test can see a redelivery run;
- when $LLE_FAULT_PAUSE_AFTER_TASK is set, a pause of that many seconds after
  a task has returned but before its message is acknowledged (the ack of a
  late-acknowledged task comes after the task_success signal): the window in
  which the test kills the worker "after sending, before the ack";
- the broker's sweep for unacknowledged messages on every poll, so that with a
  visibility timeout of a few seconds (CELERY_VISIBILITY_TIMEOUT) a message
  of a dead worker comes back within seconds instead of an hour.
"""

from __future__ import annotations

import os
import time

from celery.signals import task_postrun, task_prerun, task_success
from django.conf import settings

from lle_portal.celery import app

settings.EMAIL_BACKEND = "lle_portal.tests.faulty_email_backend.EmailBackend"
app.conf.broker_transport_options = {
    **(app.conf.broker_transport_options or {}),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}

__all__ = ["app"]


def _journal(line: str) -> None:
    with open(os.path.join(os.environ["LLE_FAULT_DIR"], "journal.log"), "a") as journal:
        journal.write(line + "\n")


@task_prerun.connect
def _started(task_id=None, task=None, **kwargs) -> None:
    _journal(f"start {task.name} {task_id} {os.getpgrp()}")


@task_postrun.connect
def _returned(task_id=None, task=None, retval=None, **kwargs) -> None:
    _journal(f"return {task.name} {task_id} {os.getpgrp()} {retval}")


@task_success.connect
def _pause_before_ack(sender=None, result=None, **kwargs) -> None:
    pause = float(os.environ.get("LLE_FAULT_PAUSE_AFTER_TASK") or 0)
    if pause:
        _journal(f"paused {sender.name} {sender.request.id} {os.getpgrp()} {result}")
        time.sleep(pause)
