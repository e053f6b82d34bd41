"""Cheap checks on an untrusted workbook's bytes before any parser sees them (see recipes/xlsx-safety.md).

A 5 KB file can make a parser allocate gigabytes or abort its process; these checks (about a millisecond)
turn the common attacks and accidents into a clear problem. The parse itself still runs in a worker process
with a memory limit (etl/workbook.py), for whatever gets past them.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
MAX_PARTS = 2000
MAX_PART_BYTES = 400 * 2**20        # one XML part, uncompressed
MAX_TOTAL_BYTES = 800 * 2**20       # the whole package, uncompressed
MAX_RATIO = 200                     # uncompressed / compressed, for parts big enough to matter
MAX_COLUMNS = 1000                  # a return has about 25
MAX_CELLS = 60_000_000              # rows × columns of a sheet's declared extent
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_DIMENSION = re.compile(rb'<dimension\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


class UnsafeWorkbook(Exception):
    """The bytes are not a workbook we will parse; `code` is a problem code of etl/problems.py."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Checked:
    kind: str                        # xlsx | xls | ods


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def check_workbook(content: bytes, max_bytes: int) -> Checked:
    """Raise UnsafeWorkbook unless the bytes look like a workbook that is safe to hand to a parser."""
    if len(content) > max_bytes:
        raise UnsafeWorkbook("oversize-file", f"{len(content) / 2**20:.1f} MB > {max_bytes / 2**20:.0f} MB")
    if not content:
        raise UnsafeWorkbook("not-a-workbook", "empty file")
    if content.startswith(OLE_MAGIC):
        # An OLE compound file is either an old .xls or an encrypted OOXML workbook (its package sits in an
        # 'EncryptedPackage' stream, named in UTF-16 in the directory).
        if "EncryptedPackage".encode("utf-16-le") in content or "EncryptionInfo".encode("utf-16-le") in content:
            raise UnsafeWorkbook("encrypted-workbook")
        return Checked("xls")
    if not content.startswith(ZIP_MAGIC):
        head = content[:8]
        what = ("a PDF" if head.startswith(b"%PDF") else "an image" if head[:4] in (b"\x89PNG", b"GIF8") or
                head[:3] == b"\xff\xd8\xff" else "text (CSV?)" if _looks_like_text(content[:2048]) else "unknown")
        raise UnsafeWorkbook("not-a-workbook", what)
    return Checked(_check_zip(content))


def _looks_like_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _check_zip(content: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise UnsafeWorkbook("damaged-workbook", f"zip: {exc}") from None
    if len(infos) > MAX_PARTS:
        raise UnsafeWorkbook("oversize-file", f"{len(infos)} parts")
    names = {i.filename for i in infos}
    if "mimetype" in names and "content.xml" in names:
        kind = "ods"
    elif "[Content_Types].xml" in names:
        kind = "xlsx"
    else:
        raise UnsafeWorkbook("not-a-workbook", "a zip file that is not a workbook")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise UnsafeWorkbook("encrypted-workbook")
        total += info.file_size
        if info.file_size > MAX_PART_BYTES or total > MAX_TOTAL_BYTES:
            raise UnsafeWorkbook("oversize-file", f"{info.filename} expands to {info.file_size / 2**20:.0f} MB")
        if info.file_size > 2**20 and info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
            raise UnsafeWorkbook("oversize-file", f"{info.filename} compressed {info.file_size // info.compress_size}:1")
    for info in infos:
        if info.filename.endswith((".xml", ".rels")) or info.filename.endswith(".vml"):
            _check_xml_part(archive, info)
    return kind


def _check_xml_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """No DTD anywhere (entity expansion, XXE); a sane declared extent in worksheet headers."""
    try:
        with archive.open(info) as part:
            head = part.read(64 * 1024)
            if _DTD.search(head):
                raise UnsafeWorkbook("unsafe-workbook", f"{info.filename}: DTD/entity declarations")
            if info.filename.startswith("xl/worksheets/"):
                _check_dimension(info.filename, head)
            # DTDs may only appear in the prolog, which is within the first block; the rest is not read here.
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError) as exc:
        raise UnsafeWorkbook("damaged-workbook", f"{info.filename}: {exc}") from None
    except Exception as exc:  # zlib.error and friends from a corrupt stream
        if isinstance(exc, UnsafeWorkbook):
            raise
        raise UnsafeWorkbook("damaged-workbook", f"{info.filename}: {exc}") from None


def _check_dimension(name: str, head: bytes) -> None:
    m = _DIMENSION.search(head)
    if not m or not m.group(3):
        return
    columns = _column_number(m.group(3)) - _column_number(m.group(1)) + 1
    rows = int(m.group(4)) - int(m.group(2)) + 1
    if columns > MAX_COLUMNS or rows * columns > MAX_CELLS:
        raise UnsafeWorkbook("oversize-file", f"{name}: a declared grid of {rows:,} rows × {columns:,} columns")
