"""The isolated parse's child process: `python -m etl.read.parse_worker MODULE MEMORY_MB` (started by workbook.Isolated).

It imports MODULE (while the parent checks the file), limits its address space to MEMORY_MB, reads a pickled
(func, args) on stdin and writes the pickled ("ok", value) or ("error", code, detail) on stdout. A parser that
aborts or exhausts the limit ends only this process; the parent turns that into a problem, never a traceback.
"""
from __future__ import annotations

import gc
import importlib
import os
import pickle
import resource
import sys


def main(module: str, memory_mb: int) -> int:
    result = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)                     # anything else printed goes to stderr, never into the result
    importlib.import_module(module)
    from etl.read.safety import UnreadableWorkbook
    from etl.read.workbook import short_reason

    # A short-lived process: its memory goes back when it exits, and collecting cycles while millions of cells
    # are alive would cost a fifth of a big parse (every list of cells is a tracked object).
    gc.disable()
    limit = memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        func, args = pickle.load(sys.stdin.buffer)
        answer = ("ok", func(*args))
    except MemoryError:
        answer = ("error", "oversize-file", "the workbook needs more memory than allowed")
    except UnreadableWorkbook as exc:
        answer = ("error", exc.code, exc.detail)
    except Exception as exc:  # anything else the parser throws is a file we cannot read, not a crash
        answer = ("error", "parse-failed", short_reason(exc))
    # Written as it is pickled: the parent unpickles meanwhile.
    pickle.dump(answer, result, protocol=pickle.HIGHEST_PROTOCOL)
    result.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
