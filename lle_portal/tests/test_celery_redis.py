"""A task round-trips through the real Redis broker to a real Celery worker process."""

import uuid

import pytest

from lle_portal.celery import app
from lle_portal.tasks import ping

from .celery_workers import new_queue, start_worker, stop_worker, tasks_sent_to


@pytest.fixture
def redis_worker():
    """Start `celery worker` as its own process on a queue of its own."""
    queue = new_queue()
    worker = start_worker(queue)
    try:
        with tasks_sent_to(queue):
            yield queue
    finally:
        print(stop_worker(worker))


@pytest.mark.redis
def test_it_runs_a_task_through_redis_on_a_real_worker(redis_worker):
    assert app.conf.broker_url.startswith("redis://")
    token = uuid.uuid4().hex
    result = ping.apply_async(args=[token], queue=redis_worker)
    # The worker process takes a few seconds to start and connect.
    assert result.get(timeout=60) == f"pong:{token}"
    assert result.state == "SUCCESS"
