"""Opening a workbook: python-calamine reads it; untrusted bytes are parsed in a worker process with limits.

The worker runs the whole pure part of the pipeline (read, locate, clean, validate) and sends back the clean
frames and problems, so a parser that aborts or runs out of memory takes only the worker down.
"""
from __future__ import annotations

import io
import multiprocessing
import os
import pickle
import resource
import signal
from dataclasses import dataclass

import python_calamine

from .locate import Sheet

DEFAULT_MEMORY_MB = int(os.environ.get("SHEQU_PARSE_MEMORY_MB", "3072"))
DEFAULT_TIMEOUT_S = float(os.environ.get("SHEQU_PARSE_TIMEOUT_S", "120"))


class WorkbookError(Exception):
    """The parser could not read the workbook; `code` is a problem code, `detail` says what happened."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


def read_sheets(content: bytes) -> list[Sheet]:
    """Every worksheet's cells from Excel's A1 (so list indices map to Excel rows), with its merged ranges."""
    try:
        book = python_calamine.load_workbook(io.BytesIO(content))
    except python_calamine.PasswordError:
        raise WorkbookError("encrypted-workbook") from None
    except Exception as exc:  # calamine raises several error types, all meaning "cannot read this"
        raise WorkbookError("damaged-workbook", _short(exc)) from None
    sheets = []
    for meta in book.sheets_metadata:
        if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
            continue
        try:
            sheet = book.get_sheet_by_name(meta.name)
            rows = sheet.to_python(skip_empty_area=False)
            merged = list(sheet.merged_cell_ranges or [])
        except Exception as exc:
            raise WorkbookError("damaged-workbook", f"{meta.name}: {_short(exc)}") from None
        sheets.append(Sheet(meta.name, rows, merged, hidden=meta.visible != python_calamine.SheetVisibleEnum.Visible))
    return sheets


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


# --- the worker process -------------------------------------------------------------------------------------

@dataclass
class _Job:
    func: object
    args: tuple
    memory_mb: int


def _limit_memory(memory_mb: int) -> None:
    limit = memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _child(conn, job: _Job) -> None:
    try:
        _limit_memory(job.memory_mb)
        result = ("ok", job.func(*job.args))
    except MemoryError:
        result = ("error", WorkbookError("oversize-file", "the workbook needs more memory than allowed"))
    except WorkbookError as exc:
        result = ("error", exc)
    except Exception as exc:  # anything else the parser throws is a file we cannot read, not a crash
        result = ("error", WorkbookError("parse-failed", _short(exc)))
    try:
        conn.send_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    except MemoryError:
        conn.send_bytes(pickle.dumps(("error", WorkbookError("oversize-file", "result too large"))))
    finally:
        conn.close()


def _context():
    # forkserver: children start from a clean, single-threaded process (safe under a threaded web server), and
    # preloading our modules there keeps each start cheap.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["etl.ingest"])
    return ctx


def run_isolated(func, *args, memory_mb: int = DEFAULT_MEMORY_MB, timeout_s: float = DEFAULT_TIMEOUT_S):
    """func(*args) in a child process with an address-space limit and a timeout; WorkbookError when it fails."""
    ctx = _context()
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(sender, _Job(func, args, memory_mb)), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(timeout_s):
            raise WorkbookError("oversize-file", f"reading took longer than {timeout_s:.0f} s")
        try:
            status, value = pickle.loads(receiver.recv_bytes())
        except EOFError:
            process.join(5)
            code = process.exitcode
            why = (f"the reader was killed by signal {signal.Signals(-code).name}" if code and code < 0
                   else f"the reader stopped (exit {code})")
            raise WorkbookError("parse-failed", why) from None
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)
        receiver.close()
    if status == "error":
        raise value
    return value
