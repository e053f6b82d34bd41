"""Opening a workbook: python-calamine reads it; untrusted bytes are parsed in a worker process with limits.

The worker runs the whole pure part of the pipeline (read, locate, clean, validate) and sends back the clean
frames and problems, so a parser that aborts or runs out of memory takes only the worker down.
"""
from __future__ import annotations

import gc
import html
import io
import multiprocessing
import os
import pickle
import posixpath
import queue
import re
import resource
import signal
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import python_calamine

from .locate import Sheet
from .problems import column_letter, column_number
from .safety import MAX_CELLS, MAX_COLUMNS

DEFAULT_MEMORY_MB = int(os.environ.get("SHEQU_PARSE_MEMORY_MB", "3072"))
DEFAULT_TIMEOUT_S = float(os.environ.get("SHEQU_PARSE_TIMEOUT_S", "120"))


class WorkbookError(Exception):
    """The parser could not read the workbook; `code` is a problem code, `detail` says what happened."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


MAX_TEXT = 32_767      # characters in one cell: Excel's own limit, so a longer one was not written by Excel
# Characters that show nothing but change what is shown: C0/C1 controls (tab, CR and LF aside), soft hyphen,
# bidirectional marks, embeddings, overrides and isolates (U+202E 'Trojan source'), zero-width characters, BOM.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f"
                        "\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")


def read_sheets(content: bytes, errors: dict | None = None, on_sheet=None) -> list[Sheet]:
    """Every worksheet's cells from Excel's A1 (so list indices map to Excel rows), with its merged ranges.

    Before the reader allocates a sheet's grid, the real extent of an OOXML sheet's cells is measured (a 5 KB
    sheet with cells at A1 and XFD1048576 makes the reader abort); error cells (#REF!, #DIV/0!, which the reader
    turns into blanks) keep their text, so that a number column reports them; text is cleaned of invisible
    control and direction characters, and a cell longer than Excel allows is refused. `errors` is the scan's
    result when the caller has already made it (etl/ingest.py scans on the other core while this parses).
    `on_sheet(sheet)` is called with each sheet as soon as it is read, in the thread that read it, while the
    others may still be parsing.
    """
    if errors is None:
        errors = scan_ooxml_sheets(content)
    try:
        book = python_calamine.load_workbook(io.BytesIO(content))
    except python_calamine.PasswordError:
        raise WorkbookError("encrypted-workbook") from None
    except Exception as exc:  # calamine raises several error types, all meaning "cannot read this"
        raise WorkbookError("damaged-workbook", _short(exc)) from None
    worksheets = [m for m in book.sheets_metadata if m.typ == python_calamine.SheetTypeEnum.WorkSheet]
    books: queue.SimpleQueue = queue.SimpleQueue()
    books.put(book)

    def read(meta) -> Sheet:
        sheet = _read_sheet(books, content, meta, errors.get(meta.name, ()))
        if on_sheet is not None:
            on_sheet(sheet)
        return sheet

    if len(worksheets) < 2:
        return list(map(read, worksheets))
    # Two sheets at a time: the reader releases the GIL while it parses, so a return's leader sheet is read and
    # cleaned beside its big community sheet.
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(read, worksheets))


def _read_sheet(books: queue.SimpleQueue, content: bytes, meta, errors) -> Sheet:
    # A workbook object parses one sheet at a time ("Already borrowed"): each thread takes one, or opens another.
    try:
        book = books.get_nowait()
    except queue.Empty:
        book = python_calamine.load_workbook(io.BytesIO(content))
    try:
        sheet = book.get_sheet_by_name(meta.name)
        rows = sheet.to_python(skip_empty_area=False)
        merged = list(sheet.merged_cell_ranges or [])
    except Exception as exc:
        raise WorkbookError("damaged-workbook", f"{meta.name}: {_short(exc)}") from None
    finally:
        books.put(book)
    _restore_errors(rows, errors)
    name = _INVISIBLE.sub("", meta.name)
    _clean_text(name, rows)
    return Sheet(name, rows, merged, hidden=meta.visible != python_calamine.SheetVisibleEnum.Visible)


_TEXT_BLOCK = 8192


def _clean_text(sheet: str, rows: list[list]) -> None:
    # One pass in C over the text of a block of rows at once (a join stays a few MB); the loop below, which says
    # where, only when something is there.
    for start in range(0, len(rows), _TEXT_BLOCK):
        texts = [value for row in rows[start:start + _TEXT_BLOCK] for value in row if value.__class__ is str]
        if max(map(len, texts), default=0) > MAX_TEXT or _INVISIBLE.search("\n".join(texts)):
            break
    else:
        return
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if value.__class__ is str and value:
                if len(value) > MAX_TEXT:
                    raise WorkbookError("oversize-file", f"{sheet}!{column_letter(j)}{i + 1}: a cell of {len(value):,} "
                                        f"characters (Excel allows {MAX_TEXT:,})")
                if _INVISIBLE.search(value):
                    row[j] = _INVISIBLE.sub("", value)


def _restore_errors(rows: list[list], errors) -> None:
    for r, c, text in errors:
        if r < len(rows) and c < len(rows[r]) and rows[r][c] in ("", None):
            rows[r][c] = text


# --- measuring OOXML worksheets before the reader does ------------------------------------------------------

# A cell with a value: its start tag is not self-closing (<c r="A1" s="1"/> holds only a style).
_VALUED_CELL = re.compile(rb'\sr="[A-Z]{1,3}[0-9]{1,7}"[^>/]*>')
# Beyond Z. Starting with the literal r=" lets the regex engine skip ahead to candidates (a leading \s makes it
# try every byte of 100 MB); the whitespace before r is checked on the few matches.
_VALUED_WIDE_COLUMN = re.compile(rb'r="([A-Z]{2,3})[0-9]{1,7}"(?=[^>/]*>)')
_VALUED_ROW = re.compile(rb'\sr="[A-Z]{1,3}([0-9]{1,7})"[^>/]*>')
_ROW_NUMBER = re.compile(rb'row\s[^>]*?\br="([0-9]{1,7})"')
_ERROR_TYPE = re.compile(rb'\st="e"')
_REF = re.compile(rb'\sr="([A-Z]{1,3})([0-9]{1,7})"')
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]{0,64})</(?:\w+:)?v>")
_SHEET = re.compile(rb"<(?:\w+:)?sheet\s([^>]*?)/?>")
_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\s([^>]*?)/?>")
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')
_CHUNK = 4 * 2**20


def _attrs(text: bytes) -> dict[str, str]:
    return {k.decode().split(":")[-1]: html.unescape(v.decode("utf-8", "replace")) for k, v in _ATTR.findall(text)}


def _worksheet_parts(archive: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """part name → sheet name, from the workbook part and its relationships (empty when they cannot be read)."""
    try:
        rels = archive.read("_rels/.rels")
        main = next(a["Target"] for a in map(_attrs, _RELATIONSHIP.findall(rels))
                    if a.get("Type", "").endswith("/officeDocument"))
        main = posixpath.normpath(main.lstrip("/"))
        base = posixpath.dirname(main)
        main_rels = posixpath.join(base, "_rels", posixpath.basename(main) + ".rels")
        targets = {}
        for a in map(_attrs, _RELATIONSHIP.findall(archive.read(main_rels))):
            target = a.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
            targets[a.get("Id")] = posixpath.normpath(path)
        out = {}
        for a in map(_attrs, _SHEET.findall(archive.read(main))):
            part = targets.get(a.get("id"))
            if part in names and "name" in a:
                out[part] = a["name"]
        return out
    except (KeyError, StopIteration, zipfile.BadZipFile, OSError, ValueError):
        return {}


def scan_ooxml_sheets(content: bytes) -> dict[str, list[tuple[int, int, str]]]:
    """Each OOXML worksheet's real extent (refused when absurd) and its error cells: sheet → [(row, col, text)].

    Streams each worksheet part once (about a second per 70 MB of XML); other formats return {}.
    """
    if not content.startswith(b"PK"):
        return {}
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, EOFError):
        return {}
    parts = _worksheet_parts(archive, names)
    for name in names:
        if name not in parts and re.match(r"xl/worksheets/[^/]+\.xml$", name):
            parts[name] = ""
    out: dict[str, list[tuple[int, int, str]]] = {}
    for part, sheet in parts.items():
        try:
            errors = _scan_part(archive, part, sheet or part)
        except (zipfile.BadZipFile, EOFError, OSError, RuntimeError) as exc:
            raise WorkbookError("damaged-workbook", f"{part}: {_short(exc)}") from None
        except WorkbookError:
            raise
        except Exception as exc:  # zlib.error from a corrupt stream
            raise WorkbookError("damaged-workbook", f"{part}: {_short(exc)}") from None
        if sheet and errors:
            out[sheet] = errors
    return out


def _scan_part(archive: zipfile.ZipFile, part: str, label: str) -> list[tuple[int, int, str]]:
    """Two regular-expression passes per chunk (no Python loop per cell): the columns and rows holding values."""
    max_row = max_col = 0
    errors: list[tuple[int, int, str]] = []
    buffer = bytearray()
    with archive.open(part) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            buffer += chunk
            cut = len(buffer) if not chunk else buffer.rfind(b"row>") + 4
            if cut < 4:
                continue
            view = bytes(buffer[:cut])
            del buffer[:cut]
            wide = {m.group(1) for m in _VALUED_WIDE_COLUMN.finditer(view) if view[m.start() - 1:m.start()].isspace()}
            # Columns A–Z are not told apart (26 bounds them): one pass finds only the cells beyond Z.
            columns = max(map(column_number, wide)) if wide else 26 if _VALUED_CELL.search(view) else 0
            if columns:
                max_col = max(max_col, columns)
                # The rows' numbers bound the cells' rows (cheap); only when that bound is too big, the exact
                # rows of cells with values are taken (rows of styled blanks do not count: the reader skips them).
                numbers = _ROW_NUMBER.findall(view)
                bound = max(map(int, numbers)) if numbers else 0
                if not numbers or max(bound, max_row) * max_col > MAX_CELLS:
                    bound = max(map(int, set(_VALUED_ROW.findall(view))))
                max_row = max(max_row, bound)
            for m in _ERROR_TYPE.finditer(view) if b't="e"' in view else ():      # a fast search first: rare
                error = _error_cell(view, m.start())
                if error:
                    errors.append(error)
            if max_col > MAX_COLUMNS or max_row * max_col > MAX_CELLS:
                raise WorkbookError("oversize-file", f"{label}: cells up to {column_letter(max_col - 1)}{max_row:,} "
                                    f"({max_row:,} rows × {max_col:,} columns)")
            if not chunk:
                return errors


def _error_cell(view: bytes, at: int) -> tuple[int, int, str] | None:
    """The cell whose start tag holds t="e" at `at`: (row, column, its error text such as '#REF!'), 0-based."""
    start, end = view.rfind(b"<", 0, at), view.find(b">", at)
    if start < 0 or end < 0 or not re.match(rb"<(?:\w+:)?c\s", view[start:start + 24]):
        return None
    ref = _REF.search(view, start, end)
    if ref is None:
        return None
    value = _VALUE.search(view, end, end + 4096)
    text = value.group(1).decode("utf-8", "replace") if value else "#ERROR"
    return int(ref.group(2)) - 1, column_number(ref.group(1)) - 1, html.unescape(text)


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


# --- the worker process -------------------------------------------------------------------------------------

@dataclass
class _Job:
    func: object
    args: tuple
    memory_mb: int


class Later:
    """An argument the parent sends after the worker has started (`Isolated.send`); the worker calls it for the value.

    So the parent reads what only the parse's last steps need (the registry) while the worker parses. A thread
    receives and unpickles it meanwhile: the reader releases the GIL while it parses a sheet.
    """

    def __init__(self, conn=None):
        self._conn, self._value, self._failed, self._thread = conn, None, None, None

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        try:
            self._value = pickle.loads(self._conn.recv_bytes())
        except BaseException as exc:  # noqa: BLE001 — reported by __call__, in the thread that needs the value
            self._failed = exc
        finally:
            self._conn.close()

    def __call__(self):
        if self._thread is None:
            self._start()
        self._thread.join()
        if self._failed is not None:
            raise WorkbookError("parse-failed", "the worker did not get what it needs from its parent")
        return self._value


LATER = Later()      # a placeholder among Isolated's args, for the one value `send` gives


class Early:
    """A function the worker calls to hand over parts of its result before it finishes (`Isolated.early`).

    So the parent can start on each part (store a return's community rows) while the worker does the rest. A
    thread writes the parts to the pipe, which holds 64 KB: the worker goes on while the parent is still busy
    with the part before (it waited for the parent's last insert, a tenth of a second, before it could work out
    a return's terms). `flush` waits until every part is written, so that the result comes after them.
    """

    def __init__(self, conn=None):
        self._conn = conn
        self._thread: threading.Thread | None = None
        if conn is not None:                    # in the child (the placeholder is pickled to it)
            self._queue: queue.SimpleQueue = queue.SimpleQueue()
            self._lock = threading.Lock()       # parts may come from the worker's reading threads

    def __call__(self, value) -> None:
        data = pickle.dumps(("early", value), protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._write, daemon=True)
                self._thread.start()
            self._queue.put(data)

    def _write(self) -> None:
        while (data := self._queue.get()) is not None:
            try:
                self._conn.send_bytes(data)
            except OSError:      # the parent has gone: nobody is waiting for the rest
                return

    def flush(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()


EARLY = Early()      # a placeholder among Isolated's args, replaced in the child by an Early bound to its pipe


def _limit_memory(memory_mb: int) -> None:
    limit = memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _child(conn, job: _Job) -> None:
    # A short-lived worker: its memory goes back when it exits, and collecting cycles while millions of cells are
    # alive cost a fifth of a big parse (every list of cells is a tracked object).
    gc.disable()
    for arg in job.args:
        if isinstance(arg, Later):
            arg._start()
    args = tuple(Early(conn) if isinstance(a, Early) else a for a in job.args)
    try:
        _limit_memory(job.memory_mb)
        result = ("ok", job.func(*args))
    except MemoryError:
        result = ("error", WorkbookError("oversize-file", "the workbook needs more memory than allowed"))
    except WorkbookError as exc:
        result = ("error", exc)
    except Exception as exc:  # anything else the parser throws is a file we cannot read, not a crash
        result = ("error", WorkbookError("parse-failed", _short(exc)))
    for arg in args:
        if isinstance(arg, Early):
            arg.flush()
    try:
        conn.send_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    except MemoryError:
        conn.send_bytes(pickle.dumps(("error", WorkbookError("oversize-file", "result too large"))))
    finally:
        conn.close()


_FORKSERVER_OWNER: list[int] = []      # the pid of the process that started our forkserver


def _context():
    # forkserver: children start from a clean, single-threaded process (safe under a threaded web server), and
    # preloading our modules there keeps each start cheap.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["etl.ingest"])
    _own_forkserver()
    return ctx


def _own_forkserver() -> None:
    """A process forked after the forkserver started (a web server's background job) inherits a forkserver that
    is not its child: using it fails with ECHILD. Such a process forgets it and starts its own."""
    from multiprocessing import forkserver
    server = forkserver._forkserver
    if _FORKSERVER_OWNER and _FORKSERVER_OWNER[0] != os.getpid() and server._forkserver_pid is not None:
        server._forkserver_pid = None
        server._forkserver_address = None
        server._forkserver_alive_fd = None
    _FORKSERVER_OWNER[:] = [os.getpid()]


class Isolated:
    """func(*args) running in a child process with an address-space limit; `.result()` waits with a timeout.

    An argument given as LATER is a Later in the child, which returns what `.send` gives once the child runs; one
    given as EARLY is a function the child may call to hand over parts of its result (`.early()`, in order).
    """

    def __init__(self, func, *args, memory_mb: int = DEFAULT_MEMORY_MB):
        ctx = _context()
        self._receiver, sender = ctx.Pipe(duplex=False)
        self._later = None
        self._final: tuple | WorkbookError | None = None     # what `early` received instead of an early part
        if any(a is LATER for a in args):
            later_receiver, self._later = ctx.Pipe(duplex=False)
            args = tuple(Later(later_receiver) if a is LATER else a for a in args)
        self._process = ctx.Process(target=_child, args=(sender, _Job(func, args, memory_mb)), daemon=True)
        self._process.start()
        sender.close()
        if self._later is not None:
            later_receiver.close()

    def send(self, value) -> None:
        """The LATER argument's value; a child that has already stopped is told by `.result()`, not here."""
        self.send_pickled(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def send_pickled(self, data: bytes) -> None:
        """`send` of a value already pickled (one sent to many workers is pickled once)."""
        try:
            self._later.send_bytes(data)
        except OSError:
            pass
        finally:
            self._later.close()

    def early(self, timeout_s: float = DEFAULT_TIMEOUT_S):
        """The next part the child handed over early, or None once it has finished (or failed)."""
        if self._final is not None:
            return None
        try:
            message = self._receive(timeout_s)
        except WorkbookError as exc:
            self._final = exc    # `.result()` says what went wrong
            return None
        status, value = pickle.loads(message)
        if status == "early":
            return value
        self._final = (status, value)
        return None

    def result(self, timeout_s: float = DEFAULT_TIMEOUT_S):
        """The function's value, or WorkbookError (what it raised, a timeout, or the child dying)."""
        try:
            final, self._final = self._final, None
            if isinstance(final, WorkbookError):
                raise final
            status, value = final or pickle.loads(self._receive(timeout_s))
            while status == "early":      # an early part nobody asked for
                status, value = pickle.loads(self._receive(timeout_s))
        finally:
            self.kill()
        if status == "error":
            raise value
        return value

    def _receive(self, timeout_s: float) -> bytes:
        if not self._receiver.poll(timeout_s):
            raise WorkbookError("oversize-file", f"reading took longer than {timeout_s:.0f} s")
        try:
            return self._receiver.recv_bytes()
        except EOFError:
            self._process.join(5)
            code = self._process.exitcode
            why = (f"the reader was killed by signal {signal.Signals(-code).name}" if code and code < 0
                   else f"the reader stopped (exit {code})")
            raise WorkbookError("parse-failed", why) from None

    def kill(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join(5)
        self._receiver.close()
        if self._later is not None:
            self._later.close()


def run_isolated(func, *args, memory_mb: int = DEFAULT_MEMORY_MB, timeout_s: float = DEFAULT_TIMEOUT_S):
    """func(*args) in a child process with an address-space limit and a timeout; WorkbookError when it fails."""
    return Isolated(func, *args, memory_mb=memory_mb).result(timeout_s)
