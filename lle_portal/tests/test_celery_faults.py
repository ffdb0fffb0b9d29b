"""A worker that dies mid-task loses no email and sends none twice.

Real Celery workers against the real Redis and the test database: the first
worker is killed (SIGKILL, as when a machine dies or the kernel's OOM killer
strikes) at a chosen moment of the send_email task, a second worker is
started, Redis hands it the unacknowledged message once the visibility
timeout (3 s here, an hour in production) has passed, and the test counts
what the email backend delivered.
"""

from __future__ import annotations

import os
import signal

import pytest

from lle_portal.emails import email_queue
from lle_portal.models import OutgoingEmail

from .celery_workers import new_queue, start_worker, stop_worker, tasks_sent_to, wait_for, worker_database_url
from .faulty_email_backend import deliveries

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

VISIBILITY_TIMEOUT = 3


@pytest.fixture
def fault(tmp_path):
    """Start workers of lle_portal.tests.fault_worker on one queue; stop them all at the end."""
    queue = new_queue()
    workers = []

    def start(**env: str):
        worker = start_worker(queue, app_module="lle_portal.tests.fault_worker", pool="prefork", env={
            "DATABASE_URL": worker_database_url(),
            "LLE_FAULT_DIR": str(tmp_path),
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            **env,
        })
        workers.append(worker)
        return worker

    with tasks_sent_to(queue):
        try:
            yield start, tmp_path
        finally:
            # Killed, not stopped: a warm shutdown would hand unfinished
            # messages back, and the test database is dropped after the run.
            for worker in workers:
                print(stop_worker(worker, kill=True))


def journal(folder) -> list[list[str]]:
    path = folder / "journal.log"
    return [line.split(" ") for line in path.read_text().splitlines()] if path.exists() else []


def runs_of_send_email(folder) -> list[list[str]]:
    return [entry for entry in journal(folder) if entry[0] == "start" and entry[1] == "lle_portal.tasks.send_email"]


def queue_an_email() -> OutgoingEmail:
    return email_queue(to="new.head@school.example", template="training_cohort_joined", context={
        "cohort": {"name": "Spring cohort"},
    })


def test_a_worker_killed_while_sending_leaves_the_email_to_the_next_worker_which_sends_it_once(fault):
    start, folder = fault
    first = start(LLE_FAULT_SEND_DELAY="60")
    email = queue_an_email()

    # The first worker has taken the message and is in the middle of sending.
    wait_for(lambda: list((folder / "sending").glob("*")), timeout=60, what="the send to start", worker=first)
    stop_worker(first, kill=True)
    assert deliveries(folder) == []
    email.refresh_from_db()
    assert email.sent_at is None  # its transaction died with it

    second = start()
    wait_for(lambda: deliveries(folder), timeout=60, what="the email to be delivered", worker=second)
    wait_for(lambda: OutgoingEmail.objects.get(pk=email.pk).sent_at, timeout=10, what="the email marked sent")

    delivered = deliveries(folder)
    assert len(delivered) == 1
    assert delivered[0]["to"] == ["new.head@school.example"]
    assert delivered[0]["worker"] == second.pid
    email.refresh_from_db()
    assert email.state == "sent"
    # Both workers ran the task for the same message: it was redelivered, not sent anew.
    runs = runs_of_send_email(folder)
    assert len(runs) == 2
    assert runs[0][2] == runs[1][2]
    assert [run[3] for run in runs] == [str(first.pid), str(second.pid)]


def test_a_worker_killed_after_sending_but_before_the_ack_does_not_make_the_next_worker_send_again(fault):
    start, folder = fault
    first = start(LLE_FAULT_PAUSE_AFTER_TASK="60")
    email = queue_an_email()

    # The task has returned "sent" (the row is marked sent in the same
    # transaction as the send) but the message is not yet acknowledged.
    wait_for(lambda: [e for e in journal(folder) if e[0] == "paused"], timeout=60, what="the task to return",
             worker=first)
    stop_worker(first, kill=True)
    assert len(deliveries(folder)) == 1
    email.refresh_from_db()
    sent_at = email.sent_at
    assert sent_at is not None

    # Redis hands the unacknowledged message to the next worker, which runs
    # the task again: it finds the email sent and sends nothing.
    second = start()
    returned = wait_for(
        lambda: [e for e in journal(folder) if e[0] == "return" and e[3] == str(second.pid)],
        timeout=60, what="the redelivered task to run", worker=second,
    )
    assert returned[0][2] == runs_of_send_email(folder)[0][2]  # the same message
    assert returned[0][4] == "already-done"
    assert len(deliveries(folder)) == 1
    email.refresh_from_db()
    assert email.sent_at == sent_at
    assert email.attempts == 1


def test_a_pool_process_killed_while_sending_hands_the_message_back_at_once(fault):
    """reject_on_worker_lost: the worker's parent process sees its pool process
    die and puts the message back on the queue at once, without waiting for
    the visibility timeout (an hour here); a new pool process sends the email."""
    start, folder = fault
    worker = start(LLE_FAULT_SEND_DELAY="60", CELERY_VISIBILITY_TIMEOUT="3600")
    email = queue_an_email()
    markers = wait_for(lambda: list((folder / "sending").glob("*")), timeout=60, what="the send to start",
                       worker=worker)
    pool_process = int(markers[0].read_text())
    assert pool_process != worker.pid
    os.kill(pool_process, signal.SIGKILL)

    # A replacement pool process gets the message back and sends it.
    wait_for(lambda: deliveries(folder), timeout=30, what="the email to be delivered", worker=worker)
    wait_for(lambda: OutgoingEmail.objects.get(pk=email.pk).sent_at, timeout=10, what="the email marked sent")
    assert len(deliveries(folder)) == 1
    runs = runs_of_send_email(folder)
    assert runs[0][2] == runs[1][2]
