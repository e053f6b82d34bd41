"""A background job that finishes while the server polls it keeps its answer.

Dash polls a job by reading its result, then asking whether it still runs. Both of shequ's managers (a forked
process with diskcache; Celery with Redis) are driven here through exactly that sequence, with the job finishing
between the two reads: the poll must say "still running" and the next poll must hand over the result. A Celery
job's progress (its set_props) must not take its result away either.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time

import diskcache
import pytest

from redis_server import redis_server

from dashboard.jobs import LOST, CeleryJobs, DiskcacheJobs, celery_app

RESULT = {"answer": "upload-loaded"}


def poll(manager, key, job):
    """What one Dash poll asks, in Dash's order: the result, then whether the job still runs."""
    result = manager.get_result(key, job)
    return result, manager.job_running(job)


def test_a_forked_job_finishing_between_the_reads_is_not_taken_for_cancelled(tmp_path):
    cache_dir = str(tmp_path / "jobs")
    manager = DiskcacheJobs(diskcache.Cache(cache_dir))
    key = "job-key"
    # The job: a real process that writes its result when told to, then exits.
    job = subprocess.Popen([sys.executable, "-c", (
        "import diskcache, sys; sys.stdin.readline(); "
        f"diskcache.Cache({cache_dir!r}).set({key!r}, {RESULT!r})")], stdin=subprocess.PIPE, text=True)
    try:
        result = manager.get_result(key, job.pid)
        assert result is manager.UNDEFINED
        job.stdin.write("go\n")
        job.stdin.flush()
        assert job.wait(timeout=30) == 0
        assert manager.job_running(job.pid), "a finished job with an unread result was taken for cancelled"
        assert poll(manager, key, job.pid) == (RESULT, False)
    finally:
        job.kill()
        job.wait()


def test_a_job_that_stopped_without_a_result_is_answered_as_lost(tmp_path):
    """A job that died (the server restarted under it) gives no result: the poll says so, for the page to say it
    in words (Dash alone would answer "no update": an empty bar, no message)."""
    manager = DiskcacheJobs(diskcache.Cache(str(tmp_path / "jobs")))
    job = subprocess.Popen([sys.executable, "-c", "pass"])
    job.wait()
    result, running = poll(manager, "job-key", job.pid)
    assert result == LOST and not running


def test_a_job_running_past_the_bound_is_answered_as_lost(tmp_path, monkeypatch):
    """A job that hangs (it never writes a result) is not polled for ever: past upload.job_max_seconds the poll
    answers LOST, and Dash stops the job."""
    config = tmp_path / "quick.toml"
    config.write_text("[upload]\njob_max_seconds = 1\n", encoding="utf-8")
    monkeypatch.setenv("SHEQU_CONFIG", str(config))
    manager = DiskcacheJobs(diskcache.Cache(str(tmp_path / "jobs")))
    job = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert poll(manager, "job-key", job.pid) == (manager.UNDEFINED, True)
        time.sleep(1.2)
        assert manager.get_result("job-key", job.pid) == LOST
    finally:
        job.kill()
        job.wait()


@pytest.fixture
def celery_jobs(tmp_path):
    with redis_server(tmp_path) as url:
        yield CeleryJobs(celery_app(url))


def test_a_celery_job_finishing_between_the_reads_is_not_taken_for_cancelled(celery_jobs):
    backend = celery_jobs.handle.backend
    key, job = "job-key", "task-1"
    assert poll(celery_jobs, key, job) == (celery_jobs.UNDEFINED, True)   # queued: Celery says PENDING

    result = celery_jobs.get_result(key, job)
    assert result is celery_jobs.UNDEFINED
    backend.set(key, json.dumps(RESULT))            # what the task does last, then Celery marks it done
    backend.store_result(job, None, "SUCCESS")
    assert celery_jobs.job_running(job), "a finished job with an unread result was taken for cancelled"
    assert celery_jobs.get_result(key, job) == RESULT

    backend.store_result("task-2", None, "REVOKED")
    assert poll(celery_jobs, "other-key", "task-2") == (LOST, False)


def test_a_celery_jobs_progress_does_not_take_its_result_away(celery_jobs):
    backend = celery_jobs.handle.backend
    key = "job-key"
    backend.set(f"{key}-set_props", json.dumps({"upload-progress": {"value": 50}}))
    backend.set(key, json.dumps(RESULT))
    assert celery_jobs.get_updated_props(key) == {"upload-progress": {"value": 50}}
    assert celery_jobs.get_updated_props(key) == {}, "the same progress was handed over twice"
    assert celery_jobs.get_result(key, None) == RESULT


def _write_parent_pid(path: str) -> None:
    import os
    from pathlib import Path
    Path(path).write_text(str(os.getppid()))


def test_the_launcher_forks_each_job_and_its_end_leaves_the_server_forking(tmp_path):
    """Jobs come from the launcher (forked before the server's threads, so no lock is inherited held); when it is
    gone, launch says so and the manager forks the job itself."""
    import os
    import signal

    from dashboard.jobs import JobLauncher
    launcher = JobLauncher({"write": _write_parent_pid})
    try:
        out = tmp_path / "parent"
        pid = launcher.launch(_write_parent_pid, (str(out),))
        assert isinstance(pid, int) and pid != launcher.pid
        deadline = time.monotonic() + 30
        while not out.exists() or not out.read_text():
            assert time.monotonic() < deadline, "the job never ran"
            time.sleep(0.05)
        assert int(out.read_text()) == launcher.pid                # forked by the launcher, not by this process
        assert launcher.launch(print, ("not registered",)) is None  # only the registered jobs
    finally:
        os.kill(launcher.pid, signal.SIGKILL)
        os.waitpid(launcher.pid, 0)
    assert launcher.launch(_write_parent_pid, (str(tmp_path / "again"),)) is None


def test_the_launcher_ends_with_its_server(tmp_path):
    import os

    from dashboard.jobs import JobLauncher
    launcher = JobLauncher({})
    launcher._conn.close()                        # what the server's exit does to its end of the pipe
    deadline = time.monotonic() + 30
    while os.waitpid(launcher.pid, os.WNOHANG) == (0, 0):
        assert time.monotonic() < deadline, "the launcher outlived its server"
        time.sleep(0.05)
