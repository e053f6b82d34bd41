"""Where background callbacks (the upload's dry run and submission) run, and what a job must do first.

One machine: each job is a process forked by the launcher (JobLauncher: a clean copy of the web server made
before its threads start), run by Dash's DiskcacheManager; results pass through a
diskcache folder. Several machines: set SHEQU_CELERY_BROKER (e.g. redis://redis-host:6379/0) on the web servers
and on the workers (`shequ worker`); jobs then go through Celery with Redis and any worker can take them. The
files waiting between the check and the submission are in the database either way (dashboard/uploads.py).

What a check of a small return costs on one machine: the job forked by the server starts the workbook reader's
safety box, a child process (`python -m etl.read.parse_worker`, etl/read/workbook.py) that imports only the reader: a check
of the sample's 北流市 return took 0.18–0.22 s in a forked process on a busy machine (issue 13; 0.49–0.82 s when
each job started a forkserver that imported the whole ETL). The browser then sees the answer at its next poll
(pages/upload.py polls every 250 ms). Right after the server starts or the data change the warm-up
thread (dashboard/warmup.py) draws views ahead on the same cores; it now waits while people's requests come in,
so the first check takes what later ones do (it took 2.2–3.9 s on a busy machine, 1.0 s on a quiet one).
"""
from __future__ import annotations

import functools
import json
import logging
import os
import sys
import threading
import time
from pathlib import Path

import dash
from sqlalchemy.engine import Engine

JOB_RESULTS_SECONDS = 3600
log = logging.getLogger(__name__)


def celery_broker() -> str | None:
    """The Celery broker's URL (SHEQU_CELERY_BROKER), or None to run jobs on this machine."""
    return os.environ.get("SHEQU_CELERY_BROKER") or None


@functools.cache
def celery_app(broker: str):
    """One Celery application per process and broker; results go to SHEQU_CELERY_BACKEND or the broker."""
    from celery import Celery
    app = Celery("shequ", broker=broker, backend=os.environ.get("SHEQU_CELERY_BACKEND") or broker)
    # A job is one file; a worker takes one at a time so that a long file does not hold others back.
    # task_track_started: a job a worker has taken reads STARTED, so that one still PENDING long after it was sent
    # can be told apart (no worker is taking jobs: see _NoLostResults).
    app.conf.update(worker_prefetch_multiplier=1, task_acks_late=True, broker_connection_retry_on_startup=True,
                    task_track_started=True)
    return app


# What a poll answers for a job that will never give its result: Dash hands it to the callback's on_error, which
# says so in words (pages/upload.py) instead of leaving an empty bar or a spinner.
JOB_LOST = "shequ-job-lost"
LOST = {"background_callback_error": {"msg": JOB_LOST, "tb": ""}}


def _settings():
    from etl.config import load_settings
    return load_settings()


def job_lost(error: Exception) -> bool:
    """Whether a background callback's error is a lost job (as against the callback failing)."""
    return JOB_LOST in str(error)


class _NoLostResults:
    """Dash's managers, without the races that lose a finished job's answer.

    On each poll Dash reads the job's result, then asks whether the job still runs. A job that writes its result
    and stops between the two looks cancelled: Dash answers "no update" and the renderer stops polling, so the
    upload never shows its outcome. A job writes its result before it stops, so here the job's state is read
    before the result: seen running, a missing result only means "not yet", and this poll says so.

    And a job that stopped without a result (it died: the web server restarted under it), that no worker has
    started (the Celery worker is down) or that has run past upload.job_max_seconds (it hangs) is answered as
    LOST, which the callback turns into a message: Dash itself answers the first with "no update" (an empty bar,
    no word) and polls the others for ever. Dash then stops a job still running.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._running_when_read: set[str] = set()
        self._first_polled: dict[str, float] = {}

    def get_result(self, key, job):
        running = job is not None and super().job_running(job)
        result = super().get_result(key, job)
        if result is not self.UNDEFINED or job is None:
            self._first_polled.pop(str(job), None)
            return result
        if not running or self.not_started(job) or self.polled_for(job) > _settings().job_max_seconds:
            self._first_polled.pop(str(job), None)
            return LOST
        self._running_when_read.add(str(job))
        return result

    def polled_for(self, job) -> float:
        """Seconds since this process first polled the job (a web server that restarted counts afresh, which
        errs on the side of waiting)."""
        now = time.monotonic()
        for stale in [j for j, t in self._first_polled.items() if now - t > JOB_RESULTS_SECONDS]:
            del self._first_polled[stale]
        return now - self._first_polled.setdefault(str(job), now)

    def not_started(self, job) -> bool:
        """A job still waiting for a worker past the bound (settings: upload.job_start_seconds)."""
        return False

    def job_running(self, job):
        if str(job) in self._running_when_read:
            self._running_when_read.discard(str(job))
            return True
        return super().job_running(job)


class CeleryJobs(_NoLostResults, dash.CeleryManager):
    def not_started(self, job) -> bool:
        """PENDING (no worker has taken it) for longer than upload.job_start_seconds since first polled."""
        return self.get_task(job).status == "PENDING" and self.polled_for(job) > _settings().job_start_seconds

    def get_updated_props(self, key):
        """The job's set_props, read once. Dash's own deletes the *result* here, losing one that was written
        since this poll read it; the diskcache manager deletes the set_props, as this does."""
        backend = self.handle.backend
        updated = backend.get(self._make_set_props_key(key))
        if updated is None:
            return {}
        backend.delete(self._make_set_props_key(key))
        return json.loads(updated)


class DiskcacheJobs(_NoLostResults, dash.DiskcacheManager):
    """Jobs forked on this machine, from the launcher (JobLauncher) once the app has started it."""

    launcher: JobLauncher | None = None

    def start_launcher(self) -> None:
        """Fork the launcher now: call it once every background callback is registered, before any thread starts."""
        if self.launcher is None:
            self.launcher = JobLauncher(self.func_registry)

    def call_job_fn(self, key, job_fn, args, context):
        if self.launcher is not None:
            pid = self.launcher.launch(job_fn, (key, self._make_progress_key(key), args, context))
            if pid is not None:
                return pid
        return super().call_job_fn(key, job_fn, args, context)


class JobLauncher:
    """Forks each diskcache job from a process forked before the web server started any thread.

    A job forked from the threaded server inherits whatever locks its other threads held at that instant, SQLite's
    own among them: under a burst of checks on SQLite a forked job hung for ever in sqlite3.connect (py-spy showed
    it), holding the others up (issue 14). The launcher is forked once, at the end of create_app, while the process
    has one thread and no database connection open; it then forks every job on request, so each starts from that
    state. It ends when the server does (its pipe closes). A job's pid is the launcher's child's, which Dash polls
    and stops as before; the launcher reaps its children.
    """

    def __init__(self, func_registry: dict):
        import multiprocessing
        self._keys = {id(fn): key for key, fn in func_registry.items()}
        self._lock = threading.Lock()
        self._conn, theirs = multiprocessing.Pipe()
        self.pid = os.fork()
        if self.pid == 0:                                   # the launcher
            self._conn.close()
            _launch_forever(theirs, func_registry)
        theirs.close()

    def launch(self, job_fn, args: tuple) -> int | None:
        """The pid of the job started with these arguments; None when the launcher is gone (the caller forks)."""
        key = self._keys.get(id(job_fn))
        if key is None:
            return None
        try:
            with self._lock:
                self._conn.send((key, args))
                return self._conn.recv()
        except (OSError, EOFError):
            log.warning("the job launcher %s is gone: jobs are forked from the server", self.pid)
            return None


def _launch_forever(conn, func_registry: dict) -> None:
    """The launcher's loop: fork a job for each request, answer its pid; exit when the server's end closes."""
    import signal
    import traceback
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)          # finished jobs are reaped by the kernel
    while True:
        try:
            key, args = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            os._exit(0)
        pid = os.fork()
        if pid == 0:                                        # the job
            conn.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # its own children (the parser) are waited for
            status = 0
            try:
                func_registry[key](*args)
            except BaseException:  # noqa: BLE001 — a job's failure is its own; the launcher goes on
                traceback.print_exc()
                status = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        try:
            conn.send(pid)
        except OSError:
            os._exit(0)


def patient_cache(folder: Path):
    """A diskcache folder whose reads and writes wait out a busy moment instead of failing.

    Under a burst of checks the cache's SQLite file is busy; diskcache then raises Timeout, and a job that meets it
    while writing its result loses the answer (its page polled for ever). With retry=True diskcache tries again.
    """
    import diskcache

    class PatientCache(diskcache.Cache):
        def get(self, key, default=None, read=False, expire_time=False, tag=False, retry=True):
            return super().get(key, default, read, expire_time, tag, retry)

        def set(self, key, value, expire=None, read=False, tag=None, retry=True):
            return super().set(key, value, expire, read, tag, retry)

        def add(self, key, value, expire=None, read=False, tag=None, retry=True):
            return super().add(key, value, expire, read, tag, retry)

        def delete(self, key, retry=True):
            return super().delete(key, retry)

        def touch(self, key, expire=None, retry=True):
            return super().touch(key, expire, retry)

    return PatientCache(str(folder))


def job_manager(cache_dir: Path):
    """Celery when a broker is configured, else a diskcache folder shared by this machine's server processes."""
    broker = celery_broker()
    if broker:
        return CeleryJobs(celery_app(broker), expire=JOB_RESULTS_SECONDS)
    return DiskcacheJobs(patient_cache(cache_dir / "jobs"), expire=JOB_RESULTS_SECONDS)


def check_slots(cache_dir: Path) -> tuple[Path, int] | None:
    """Where a check waits its turn on this machine and how many parse at once (dashboard/check_queue.py);
    None under Celery, whose worker's concurrency is the bound."""
    if celery_broker():
        return None
    from etl.config import load_settings
    return Path(cache_dir) / "check-slots", load_settings().parallel_checks


def in_forked_job(engine: Engine) -> None:
    """Forget the database connections inherited from the parent (SQLAlchemy's pool, dropped without closing).

    A diskcache job is a process forked by the web server (Celery's jobs run in threads of the worker, which has
    its own pool). The ETL starts its own child process for each untrusted workbook (etl/read/workbook.py).
    """
    engine.dispose(close=False)
