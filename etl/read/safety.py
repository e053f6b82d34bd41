"""Cheap checks on an untrusted workbook's bytes before any parser sees them (see recipes/xlsx-safety.md).

A 5 KB file can make a parser allocate gigabytes or abort its process; these checks (about a millisecond)
turn the common attacks and accidents into a clear problem. The parse itself still runs in a worker process
with a memory limit (etl/read/workbook.py), for whatever gets past them.
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass

from etl.read.problems import column_number

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
MAX_PARTS = 2000
MAX_PART_BYTES = 400 * 2**20        # one XML part, uncompressed
MAX_TOTAL_BYTES = 800 * 2**20       # the whole package, uncompressed
MAX_RATIO = 200                     # uncompressed / compressed, for parts big enough to matter
MAX_COLUMNS = 1000                  # a return has about 25
MAX_CELLS = 30_000_000              # rows × columns of a sheet's extent (1M rows × 28 columns ≈ 1.3 GB to read)
MAX_PROLOG_BYTES = 4 * 2**20        # comments and PIs before an XML part's root element
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_OFFICE_DOCUMENT = re.compile(rb'<Relationship\b[^>]*?Type="[^"]*/officeDocument"[^>]*>')
_TARGET = re.compile(rb'\bTarget="([^"]+)"')
_DIMENSION = re.compile(rb'<dimension\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


class UnreadableWorkbook(Exception):
    """A workbook we will not or cannot read: the checks refused its bytes, or the isolated parse failed.
    `code` is a problem code of etl/read/problems.py, `detail` says what happened."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Checked:
    kind: str                        # xlsx | xls | ods


def check_workbook(content: bytes, max_bytes: int) -> Checked:
    """Raise UnreadableWorkbook unless the bytes look like a workbook that is safe to hand to a parser."""
    if len(content) > max_bytes:
        raise UnreadableWorkbook("oversize-file", f"{len(content) / 2**20:.1f} MB > {max_bytes / 2**20:.0f} MB")
    if not content:
        raise UnreadableWorkbook("not-a-workbook", "empty file")
    if content.startswith(OLE_MAGIC):
        # An OLE compound file is either an old .xls or an encrypted OOXML workbook (its package sits in an
        # 'EncryptedPackage' stream, named in UTF-16 in the directory).
        if "EncryptedPackage".encode("utf-16-le") in content or "EncryptionInfo".encode("utf-16-le") in content:
            raise UnreadableWorkbook("encrypted-workbook")
        return Checked("xls")
    if not content.startswith(ZIP_MAGIC):
        head = content[:8]
        what = ("a PDF" if head.startswith(b"%PDF") else "an image" if head[:4] in (b"\x89PNG", b"GIF8") or
                head[:3] == b"\xff\xd8\xff" else "text (CSV?)" if _looks_like_text(content[:2048]) else "unknown")
        raise UnreadableWorkbook("not-a-workbook", what)
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
        raise UnreadableWorkbook("damaged-workbook", f"zip: {exc}") from None
    if len(infos) > MAX_PARTS:
        raise UnreadableWorkbook("oversize-file", f"{len(infos)} parts")
    names = {i.filename for i in infos}
    if len(names) < len(infos):
        # Two parts of one name: a checker may read one copy and the parser the other.
        raise UnreadableWorkbook("damaged-workbook", "zip: two parts with the same name")
    if "mimetype" in names and "content.xml" in names:
        kind = "ods"
    elif "[Content_Types].xml" in names:
        kind = "xlsx"
    else:
        raise UnreadableWorkbook("not-a-workbook", "a zip file that is not a workbook")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise UnreadableWorkbook("encrypted-workbook")
        total += info.file_size
        if info.file_size > MAX_PART_BYTES or total > MAX_TOTAL_BYTES:
            raise UnreadableWorkbook("oversize-file", f"{info.filename} expands to {info.file_size / 2**20:.0f} MB")
        if info.file_size > 2**20 and info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
            raise UnreadableWorkbook("oversize-file", f"{info.filename} compressed {info.file_size // info.compress_size}:1")
        if not _sizes_consistent(info):
            # Deflate never grows data by more than a few bytes per 16 KB block: a compressed size well above
            # the declared size means the declared size lies (a bomb that hides how much it expands to).
            raise UnreadableWorkbook("damaged-workbook", f"{info.filename}: declared sizes do not match the data")
    if kind == "ods":
        _check_ods(archive, names)
    else:
        _check_package(archive, names)
    for info in infos:
        if info.filename.endswith((".xml", ".rels")) or info.filename.endswith(".vml"):
            _check_xml_part(archive, info)
    return kind


def _sizes_consistent(info: zipfile.ZipInfo) -> bool:
    if info.compress_type == zipfile.ZIP_STORED:
        return info.compress_size == info.file_size
    if info.compress_type == zipfile.ZIP_DEFLATED:
        return info.compress_size <= info.file_size + info.file_size // 100 + 1024
    return True


def _check_package(archive: zipfile.ZipFile, names: set[str]) -> None:
    """An OOXML package names its main part in _rels/.rels; without that part there is no workbook to read."""
    if "_rels/.rels" not in names:
        raise UnreadableWorkbook("damaged-workbook", "the package has no _rels/.rels")
    rels = _read_small(archive, "_rels/.rels")
    m = _OFFICE_DOCUMENT.search(rels)
    target = _TARGET.search(m.group(0)) if m else None
    if target is None:
        raise UnreadableWorkbook("damaged-workbook", "the package names no workbook part")
    main = posixpath.normpath(target.group(1).decode("utf-8", "replace").lstrip("/"))
    if main not in names:
        raise UnreadableWorkbook("damaged-workbook", f"the workbook part {main} is missing")


def _check_ods(archive: zipfile.ZipFile, names: set[str]) -> None:
    """An OpenDocument file encrypted with a password lists encryption data in its manifest."""
    if "META-INF/manifest.xml" in names and b"encryption-data" in _read_small(archive, "META-INF/manifest.xml"):
        raise UnreadableWorkbook("encrypted-workbook")


def _read_small(archive: zipfile.ZipFile, name: str, limit: int = 2**20) -> bytes:
    try:
        with archive.open(name) as part:
            return part.read(limit)
    except Exception as exc:  # zlib.error, BadZipFile, CRC errors: a damaged part
        raise UnreadableWorkbook("damaged-workbook", f"{name}: {exc}") from None


def _check_xml_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """No DTD anywhere (entity expansion, XXE); a sane declared extent in worksheet headers."""
    try:
        with archive.open(info) as part:
            head = part.read(64 * 1024)
            if head.startswith((b"\xff\xfe", b"\xfe\xff")):
                head = head.decode("utf-16", "replace").encode("utf-8")
            if _DTD.search(head):
                raise UnreadableWorkbook("unsafe-workbook", f"{info.filename}: DTD/entity declarations")
            # DTDs may only appear in the prolog (before the root element); comments may make it long.
            _check_prolog(info.filename, part, head)
            if info.filename.startswith("xl/worksheets/"):
                _check_dimension(info.filename, head)
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError) as exc:
        raise UnreadableWorkbook("damaged-workbook", f"{info.filename}: {exc}") from None
    except Exception as exc:  # zlib.error and friends from a corrupt stream
        if isinstance(exc, UnreadableWorkbook):
            raise
        raise UnreadableWorkbook("damaged-workbook", f"{info.filename}: {exc}") from None


_PROLOG_ITEM = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)


def _check_prolog(name: str, part, head: bytes) -> None:
    """Read on past the first block while the prolog (declaration, comments, PIs) goes on; reject a DTD in it."""
    buffer, pos = head, 0
    while True:
        while True:
            if buffer.startswith(b"\xef\xbb\xbf", pos):
                pos += 3
                continue
            m = _PROLOG_ITEM.match(buffer, pos)
            if not m:
                break
            pos = m.end()
        rest = buffer[pos:pos + 9]
        if _DTD.match(rest):
            raise UnreadableWorkbook("unsafe-workbook", f"{name}: DTD/entity declarations")
        incomplete = not rest or rest.startswith((b"<?", b"<!--")) or (rest.startswith(b"<!") and len(rest) < 9)
        if not incomplete:
            return                # the root element starts here (or text that the parser will refuse)
        more = part.read(64 * 1024)
        if not more:
            return
        if len(buffer) - pos + len(more) > MAX_PROLOG_BYTES:
            raise UnreadableWorkbook("unsafe-workbook", f"{name}: a prolog of more than {MAX_PROLOG_BYTES >> 20} MB")
        buffer, pos = buffer[pos:] + more, 0


def _check_dimension(name: str, head: bytes) -> None:
    m = _DIMENSION.search(head)
    if not m or not m.group(3):
        return
    columns = column_number(m.group(3)) - column_number(m.group(1)) + 1
    rows = int(m.group(4)) - int(m.group(2)) + 1
    if columns > MAX_COLUMNS or rows * columns > MAX_CELLS:
        raise UnreadableWorkbook("oversize-file", f"{name}: a declared grid of {rows:,} rows × {columns:,} columns")
