"""A Celery worker for the dashboard's background jobs: `shequ worker`, or `celery -A dashboard.worker worker`.

Run it with `--pool threads` (as `shequ worker` does). The worker builds the same Dash app as the web servers, so that each background callback is registered as the
Celery task the servers send (Dash names a task after its callback); it needs the servers' SHEQU_DATABASE_URL,
SHEQU_SECRET_KEY (to read the user from the job's session cookie) and SHEQU_CELERY_BROKER.
"""
from __future__ import annotations

from .app import create_app
from .jobs import celery_app, celery_broker


def _celery_for(database_url: str | None):
    broker = celery_broker()
    if not broker:
        raise RuntimeError("SHEQU_CELERY_BROKER is not set")
    create_app(database_url)
    return celery_app(broker)


def start(database_url: str | None, concurrency: int = 2) -> None:
    # Threads, not Celery's prefork pool: a job starts the ETL's isolated parser process, and prefork children
    # are daemonic (they may not have children); the parse, the heavy part, runs in that process anyway.
    _celery_for(database_url).worker_main(["worker", "--loglevel=INFO", "--pool=threads",
                                           f"--concurrency={concurrency}", "--without-gossip", "--without-mingle"])


def __getattr__(name: str):
    # `celery -A dashboard.worker` looks up `celery` (or `app`) in this module: built on first use, from the
    # environment, so that importing the module costs nothing.
    if name in ("celery", "app"):
        return _celery_for(None)
    raise AttributeError(name)
