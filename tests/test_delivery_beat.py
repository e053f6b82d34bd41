"""`shequ worker --beat`: Celery beat (a real Redis, a real worker process) sends the due briefing once."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from deliveries import Inbox, delivery_template, delivery_url, smtp_server, write_config  # noqa: F401
from redis_server import redis_server

from etl.store.db import make_engine
from etl.store.deliveries import deliveries


def test_the_worker_beat_sends_the_due_briefing_once(delivery_url, tmp_path, smtp_server):
    inbox = Inbox()
    config = write_config(tmp_path / "city.toml", smtp_server(inbox), briefing='"every 1h"', beat_seconds="1",
                          reminder_days="[]")
    log = tmp_path / "worker.log"
    with redis_server(tmp_path) as broker, log.open("w") as out:
        env = dict(os.environ, SHEQU_CELERY_BROKER=broker, SHEQU_SECRET_KEY="beat-secret",
                   SHEQU_DATABASE_URL=delivery_url, SHEQU_CONFIG=str(config))
        process = subprocess.Popen([str(Path(sys.executable).parent / "shequ"), "worker", "--beat",
                                    "--concurrency", "2"], env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 90
            while len(inbox.received) < 5 or log.read_text().count("shequ.run_due") < 6:   # several beats
                assert process.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert len(inbox.received) == 5                      # beat ran the task again and again: each sent once
    log_rows = deliveries(make_engine(delivery_url), "briefing")
    assert len(log_rows) == 5 and set(log_rows["status"]) == {"sent"}
