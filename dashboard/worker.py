"""A Celery worker for the dashboard's background jobs: `shequ worker`, or `celery -A dashboard.worker worker`.

Run it with `--pool threads` (as `shequ worker` does). The worker builds the same Dash app as the web servers, so that each background callback is registered as the
Celery task the servers send (Dash names a task after its callback); it needs the servers' SHEQU_DATABASE_URL,
SHEQU_SECRET_KEY (to read the user from the job's session cookie) and SHEQU_CELERY_BROKER.

With `--beat` (`shequ worker --beat`, one worker of a deployment) it also runs the delivery schedule: Celery beat
calls the task shequ.run_due every [schedule] beat_seconds, which sends what is due (dashboard/delivery/schedule.py) — the
same run as `shequ schedule run-due` from cron, so the two may even overlap: a slot sends once either way.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from .app import create_app
from .jobs import celery_app, celery_broker



def _celery_for(database_url: str | None):
    broker = celery_broker()
    if not broker:
        raise RuntimeError("SHEQU_CELERY_BROKER is not set")
    create_app(database_url)
    app = celery_app(broker)
    _schedule_deliveries(app, database_url)
    return app


def _schedule_deliveries(app, database_url: str | None) -> None:
    """The task beat calls: send what is due; a failed send fails the task (in the worker's log) after it has
    been recorded in the delivery log and the audit log."""
    if "shequ.run_due" in app.tasks:
        return
    engines = []

    @app.task(name="shequ.run_due")
    def run_due_task() -> int:
        from etl.store.db import make_engine
        from .delivery.schedule import run_due
        if not engines:
            engines.append(make_engine(database_url))
        run = run_due(engines[0])
        if run.failed:
            raise RuntimeError("; ".join(f"{o.kind} to {o.recipient} ({o.channel}): {o.error}" for o in run.failed))
        return len(run.outcomes)

    from etl.config import settings_data
    every = float(settings_data().get("schedule", {}).get("beat_seconds", 300))
    app.conf.beat_schedule = {"shequ-deliveries": {"task": "shequ.run_due", "schedule": every}}


def start(database_url: str | None, concurrency: int = 2, beat: bool = False) -> None:
    # Threads, not Celery's prefork pool: a job starts the ETL's isolated parser process, and prefork children
    # are daemonic (they may not have children); the parse, the heavy part, runs in that process anyway.
    beat_args = ["--beat", f"--schedule={Path(tempfile.gettempdir()) / 'shequ-celerybeat-schedule'}"] if beat else []
    _celery_for(database_url).worker_main(["worker", "--loglevel=INFO", "--pool=threads",
                                           f"--concurrency={concurrency}", "--without-gossip", "--without-mingle",
                                           *beat_args])


def __getattr__(name: str):
    # `celery -A dashboard.worker` looks up `celery` (or `app`) in this module: built on first use, from the
    # environment, so that importing the module costs nothing.
    if name in ("celery", "app"):
        return _celery_for(None)
    raise AttributeError(name)
