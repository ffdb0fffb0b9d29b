"""A task round-trips through the real Redis broker to a real Celery worker process."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from lle_portal.celery import app
from lle_portal.tasks import ping

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis_worker():
    """Start `celery worker` as its own process on a queue of its own."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "lle_portal.settings.test"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "lle_portal", "worker", "--pool=solo", "-Q", queue,
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield queue
    finally:
        app.conf.task_always_eager = previous
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
        print(output.decode(errors="replace")[-3000:])


@pytest.mark.redis
def test_it_runs_a_task_through_redis_on_a_real_worker(redis_worker):
    assert app.conf.broker_url.startswith("redis://")
    token = uuid.uuid4().hex
    result = ping.apply_async(args=[token], queue=redis_worker)
    # The worker process takes a few seconds to start and connect.
    assert result.get(timeout=60) == f"pong:{token}"
    assert result.state == "SUCCESS"
