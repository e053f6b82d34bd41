"""The parse worker: a process forked after the forkserver started (a web server's background job) still parses."""
from __future__ import annotations

import os

from etl.ingest import parse_untrusted
from etl.registry import default_registry
from returns import simple_return


def test_a_forked_process_parses_with_its_own_forkserver(tmp_path):
    content = simple_return(tmp_path / "r.xlsx").read_bytes()
    parsed, _ = parse_untrusted(content, "r.xlsx", default_registry())     # starts the forkserver here
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
