"""Real Celery worker processes for the tests that run against Redis.

A test starts `celery worker` as a child process, on a queue of its own (so
that two test runs sharing one Redis never take each other's messages), makes
the tasks it sends go to that queue, and stops the worker at the end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from django.conf import settings

from lle_portal.celery import app

ROOT = Path(__file__).resolve().parents[2]


def new_queue() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def worker_database_url() -> str:
    """DATABASE_URL pointing at the database this test run uses (pytest-django's
    test_<name> database), so that a worker process sees the test's rows."""
    url = urlparse(os.environ["DATABASE_URL"])
    return urlunparse(url._replace(path="/" + settings.DATABASES["default"]["NAME"]))


def start_worker(
    queue: str, *, app_module: str = "lle_portal", pool: str = "solo", env: dict[str, str] | None = None
) -> subprocess.Popen:
    """Start `celery -A app_module worker` on `queue`: one process (the solo
    pool), or, with pool="prefork", a parent and one pool process as in
    production (the parent acknowledges messages while the child works)."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "lle_portal.settings.test", **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", app_module, "worker", f"--pool={pool}", "--concurrency=1",
         "-Q", queue, "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"],
        cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        # Its own process group, so that a kill reaches nothing else.
        start_new_session=True,
    )


def stop_worker(worker: subprocess.Popen, *, kill: bool = False) -> str:
    """Stop the worker (SIGTERM: a warm shutdown; or SIGKILL to it and its pool: sudden death) and
    return the end of what it printed, for the test's output."""
    if worker.stdout is None or worker.stdout.closed:
        return ""  # stopped before
    if worker.poll() is None:
        if kill:
            # The whole process group: the worker and its pool processes die at once.
            os.killpg(worker.pid, signal.SIGKILL)
        else:
            worker.send_signal(signal.SIGTERM)
    try:
        output, _ = worker.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        output, _ = worker.communicate()
    return output.decode(errors="replace")[-3000:]


@contextmanager
def tasks_sent_to(queue: str) -> Iterator[None]:
    """Tasks sent by this process (`.delay()`, `email_queue`) go to the broker
    and `queue`, not run in-process as the test settings otherwise do."""
    eager, default_queue = app.conf.task_always_eager, app.conf.task_default_queue
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    try:
        yield
    finally:
        app.conf.task_always_eager = eager
        app.conf.task_default_queue = default_queue


def wait_for(condition: Callable[[], object], *, timeout: float, what: str, worker=None) -> object:
    """Poll `condition` until it returns something true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        if worker is not None and worker.poll() is not None:
            raise AssertionError(f"The worker exited while waiting for {what}:\n{stop_worker(worker)}")
        time.sleep(0.1)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}.")
