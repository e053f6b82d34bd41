"""The parse worker: a child process started with subprocess, with a memory limit and a timeout, that works the
same from a process forked after another parse (a web server's background job)."""
from __future__ import annotations

import os
import time

import pytest

from etl.ingest import parse_untrusted
from etl.registry import default_registry
from etl.read.safety import UnreadableWorkbook
from etl.read.workbook import run_isolated
from returns import simple_return


def test_a_forked_process_parses_untrusted_bytes(tmp_path):
    content = simple_return(tmp_path / "r.xlsx").read_bytes()
    parsed, _ = parse_untrusted(content, "r.xlsx", default_registry())     # a parse here first
    assert parsed is not None
    pid = os.fork()
    if pid == 0:                                                           # the forked "background job"
        try:
            child_parsed, report = parse_untrusted(content, "r.xlsx", default_registry())
            os._exit(0 if child_parsed is not None and len(child_parsed.communities) == 3 else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_the_child_stops_at_its_memory_limit():
    with pytest.raises(UnreadableWorkbook) as caught:
        run_isolated(bytearray, 2 * 2**30, memory_mb=1024)
    assert caught.value.code == "oversize-file"
    assert len(run_isolated(bytearray, 2**20, memory_mb=1024)) == 2**20         # within it, the value comes back


def test_a_child_that_takes_too_long_is_stopped():
    start = time.monotonic()
    with pytest.raises(UnreadableWorkbook) as caught:
        run_isolated(time.sleep, 30, timeout_s=1)
    assert caught.value.code == "oversize-file" and "longer than 1 s" in caught.value.detail
    assert time.monotonic() - start < 10


def test_what_the_child_prints_does_not_spoil_its_result():
    assert run_isolated(print, "printed by the child") is None


def test_a_child_killed_by_a_signal_is_a_problem_not_a_crash():
    with pytest.raises(UnreadableWorkbook) as caught:
        run_isolated(os.abort)
    assert caught.value.code == "parse-failed" and "SIGABRT" in caught.value.detail


def test_the_parent_unpickles_only_what_a_parse_returns():
    """A child taken over through the parser could send a pickle that names any callable (here os.system, found
    by pydoc.locate in the child); the parent refuses it as a failed read instead of importing it."""
    import pydoc
    with pytest.raises(UnreadableWorkbook) as caught:
        run_isolated(pydoc.locate, "os.system")
    assert caught.value.code == "parse-failed" and "posix.system" in caught.value.detail
