"""Opening a workbook: python-calamine reads it; untrusted bytes are parsed in a child process with limits.

The child (`python -m etl.read.parse_worker`, started with `subprocess`) reads the sheets (read_sheets) and sends back
their cells, so a parser that aborts or runs out of memory takes only the child down. A plain subprocess works the
same from a CLI, a web server's thread, a process the server forked for a background job and a Celery worker.
"""
from __future__ import annotations

import contextlib
import html
import io
import os
import pickle
import posixpath
import queue
import re
import signal
import subprocess
import sys
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor

import python_calamine

from etl.read.locate import Sheet
from etl.read.marks import INVISIBLE_EXCEPT_LINE_BREAKS
from etl.read.problems import column_letter, column_number
from etl.read.safety import MAX_CELLS, MAX_COLUMNS, UnreadableWorkbook

DEFAULT_MEMORY_MB = int(os.environ.get("SHEQU_PARSE_MEMORY_MB", "3072"))
DEFAULT_TIMEOUT_S = float(os.environ.get("SHEQU_PARSE_TIMEOUT_S", "120"))


MAX_TEXT = 32_767      # characters in one cell: Excel's own limit, so a longer one was not written by Excel
# What shows nothing in a cell (etl/read/marks.py); tab, CR and LF stay: a clerk may mean them.
_INVISIBLE = re.compile(f"[{INVISIBLE_EXCEPT_LINE_BREAKS}]")


def read_sheets(content: bytes, errors: dict | None = None) -> list[Sheet]:
    """Every worksheet's cells from Excel's A1 (so list indices map to Excel rows), with its merged ranges.

    Before the reader allocates a sheet's grid, the real extent of an OOXML sheet's cells is measured (a 5 KB
    sheet with cells at A1 and XFD1048576 makes the reader abort); error cells (#REF!, #DIV/0!, which the reader
    turns into blanks) keep their text, so that a number column reports them; text is cleaned of invisible
    control and direction characters, and a cell longer than Excel allows is refused. `errors` is the scan's
    result when the caller has already made it (etl/ingest.py scans while the child process starts).
    """
    if errors is None:
        errors = scan_ooxml_sheets(content)
    try:
        book = python_calamine.load_workbook(io.BytesIO(content))
    except python_calamine.PasswordError:
        raise UnreadableWorkbook("encrypted-workbook") from None
    except Exception as exc:  # calamine raises several error types, all meaning "cannot read this"
        raise UnreadableWorkbook("damaged-workbook", short_reason(exc)) from None
    worksheets = [m for m in book.sheets_metadata if m.typ == python_calamine.SheetTypeEnum.WorkSheet]
    books: queue.SimpleQueue = queue.SimpleQueue()
    books.put(book)

    def read(meta) -> Sheet:
        return _read_sheet(books, content, meta, errors.get(meta.name, ()))

    if len(worksheets) < 2:
        return list(map(read, worksheets))
    # Two sheets at a time: the reader releases the GIL while it parses, so a return's leader sheet is read
    # beside its big community sheet.
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
        raise UnreadableWorkbook("damaged-workbook", f"{meta.name}: {short_reason(exc)}") from None
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
                    raise UnreadableWorkbook("oversize-file", f"{sheet}!{column_letter(j)}{i + 1}: a cell of {len(value):,} "
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
            raise UnreadableWorkbook("damaged-workbook", f"{part}: {short_reason(exc)}") from None
        except UnreadableWorkbook:
            raise
        except Exception as exc:  # zlib.error from a corrupt stream
            raise UnreadableWorkbook("damaged-workbook", f"{part}: {short_reason(exc)}") from None
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
                raise UnreadableWorkbook("oversize-file", f"{label}: cells up to {column_letter(max_col - 1)}{max_row:,} "
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


def short_reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


# --- the child process ---------------------------------------------------------------------------------------

def _child_env() -> dict[str, str]:
    # The child imports etl from where this process did, installed or not.
    import etl
    root = os.path.dirname(os.path.dirname(os.path.abspath(etl.__file__)))
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}


# What the parent will unpickle from the child: the sheets and their cells' types. The child parses untrusted
# bytes; one taken over through the parser must not be able to make the parent call anything (pickle's
# find_class is the documented place to restrict that). Anything else ends the read as parse-failed.
ANSWER_TYPES = frozenset({("etl.read.locate", "Sheet"), ("datetime", "datetime"), ("datetime", "date"),
                          ("datetime", "time"), ("datetime", "timedelta"), ("builtins", "bytearray"),
                          ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "complex")})


class _Refused(pickle.UnpicklingError):
    pass


class _AnswerUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in ANSWER_TYPES:
            raise _Refused(f"the reader sent a {module}.{name}, which a parse does not return")
        return super().find_class(module, name)


class Isolated:
    """A child process that will run func(*args) with an address-space limit (`etl/read/parse_worker.py`).

    It starts at once and imports func's module, so the caller can do its own checks meanwhile; `.call(*args)`
    then sends the arguments and waits with a timeout. One call per child; `.kill()` (or leaving a `with`
    block) ends a child that is not needed.
    """

    def __init__(self, func, memory_mb: int = DEFAULT_MEMORY_MB):
        self._func = func
        self._process = subprocess.Popen([sys.executable, "-m", "etl.read.parse_worker", func.__module__, str(memory_mb)],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=_child_env())

    def __enter__(self) -> Isolated:
        return self

    def __exit__(self, *exc) -> None:
        self.kill()

    def call(self, *args, timeout_s: float = DEFAULT_TIMEOUT_S):
        """func(*args)'s value, or UnreadableWorkbook (what it raised, a timeout, or the child dying).

        The value is unpickled as the child pickles it (a big return's cells: both at once, on two cores)."""
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            self._process.kill()

        timer = threading.Timer(timeout_s, expire)
        timer.start()
        answer, refused = None, None
        try:
            try:
                pickle.dump((self._func, args), self._process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                self._process.stdin.close()
            except BrokenPipeError:            # the child has stopped: its exit says why
                pass
            try:
                answer = _AnswerUnpickler(self._process.stdout).load()
            except _Refused as exc:            # not an answer a parse gives: stop it now, trust nothing it sent
                refused = str(exc)
            except (EOFError, pickle.UnpicklingError):
                self._process.wait()           # it stopped without an answer (or was stopped)
        finally:
            timer.cancel()
            self.kill()                        # once the answer is in, the child need not tidy up
        if refused is not None:
            raise UnreadableWorkbook("parse-failed", refused)
        if expired.is_set():
            raise UnreadableWorkbook("oversize-file", f"reading took longer than {timeout_s:.0f} s")
        if answer is None:
            code = self._process.returncode
            why = (f"the reader was killed by signal {signal.Signals(-code).name}" if code and code < 0
                   else f"the reader stopped (exit {code})")
            raise UnreadableWorkbook("parse-failed", why)
        status, *value = answer
        if status == "error":
            raise UnreadableWorkbook(*value)
        return value[0]

    def kill(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            with contextlib.suppress(OSError):         # a job the child never read fails its flush: no matter
                stream.close()


def run_isolated(func, *args, memory_mb: int = DEFAULT_MEMORY_MB, timeout_s: float = DEFAULT_TIMEOUT_S):
    """func(*args) in a child process with an address-space limit and a timeout; UnreadableWorkbook when it fails."""
    with Isolated(func, memory_mb) as child:
        return child.call(*args, timeout_s=timeout_s)
