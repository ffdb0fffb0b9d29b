"""A test-only email backend for a worker process that a test kills.

Every message is written to a file in $LLE_FAULT_DIR/delivered/ (one file per
message: a test counts them to prove an email went out exactly once). Before
delivering, the backend writes $LLE_FAULT_DIR/sending/<worker>-<n> (holding
the id of the process sending) and, on the first send in that folder when
$LLE_FAULT_SEND_DELAY is set, sleeps that many seconds: the window in which
the test kills the worker, "in the middle of sending".
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


def fault_dir() -> Path:
    return Path(os.environ["LLE_FAULT_DIR"])


def deliveries(folder: Path) -> list[dict]:
    """What the backend delivered, oldest first."""
    files = sorted((folder / "delivered").glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
    return [json.loads(p.read_text()) for p in files]


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        folder = fault_dir()
        (folder / "sending").mkdir(parents=True, exist_ok=True)
        (folder / "delivered").mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            # Named by the worker (its process group), holding the pool process's id.
            (folder / "sending" / f"{os.getpgrp()}-{uuid.uuid4().hex[:8]}").write_text(str(os.getpid()))
            if len(list((folder / "sending").iterdir())) == 1:  # only the first send is slow
                time.sleep(float(os.environ.get("LLE_FAULT_SEND_DELAY") or 0))
            record = {"to": message.to, "subject": message.subject, "worker": os.getpgrp()}
            # Written whole, then renamed: a reader never sees half a delivery.
            target = folder / "delivered" / f"{uuid.uuid4().hex}.json"
            partial = target.with_suffix(".part")
            partial.write_text(json.dumps(record))
            partial.rename(target)
            sent += 1
        return sent
