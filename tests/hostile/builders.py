"""Hostile and broken workbooks, built by code at test time (nothing binary is committed).

Two ways of making a file: `tests/returns.py` (xlsxwriter) for a valid return, then `patch_parts` to rewrite
parts of its package; or `raw_xlsx` for a package written part by part, where a part may be a generator of
chunks so that a file expanding to hundreds of megabytes never sits whole in the test process's memory.
"""
from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

from returns import HEADERS, simple_return, standard_rows

Part = bytes | Callable[[], Iterable[bytes]]

SHEET_NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
CONTENT_TYPES = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
%s
</Types>"""
ROOT_RELS = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""


# --- packages ----------------------------------------------------------------------------------------------

def write_zip(path: Path, parts: dict[str, Part], method: int = zipfile.ZIP_DEFLATED) -> Path:
    """A zip of the parts, in order; a callable part is streamed chunk by chunk."""
    with zipfile.ZipFile(path, "w", method) as z:
        for name, part in parts.items():
            if callable(part):
                info = zipfile.ZipInfo(name, (2015, 1, 1, 0, 0, 0))
                info.compress_type = method
                with z.open(info, "w", force_zip64=True) as out:
                    for chunk in part():
                        out.write(chunk)
            else:
                info = zipfile.ZipInfo(name, (2015, 1, 1, 0, 0, 0))
                info.compress_type = method
                z.writestr(info, part)
    return path


def raw_xlsx(path: Path, sheets: list[tuple[str, Part]], shared_strings: Part | None = None,
             states: dict[str, str] | None = None) -> Path:
    """A minimal SpreadsheetML package around the given worksheet parts (and sharedStrings, if any)."""
    states = states or {}
    overrides, sheet_entries, rels = [], [], []
    parts: dict[str, Part] = {}
    for i, (name, xml) in enumerate(sheets, start=1):
        overrides.append(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                         f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
        state = f' state="{states[name]}"' if name in states else ""
        sheet_entries.append(f'<sheet name="{name}" sheetId="{i}"{state} r:id="rId{i}"/>')
        rels.append(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>')
        parts[f"xl/worksheets/sheet{i}.xml"] = xml
    if shared_strings is not None:
        n = len(sheets) + 1
        overrides.append('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                         'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
        rels.append(f'<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    f'relationships/sharedStrings" Target="sharedStrings.xml"/>')
        parts["xl/sharedStrings.xml"] = shared_strings
    workbook = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                f'<sheets>{"".join(sheet_entries)}</sheets></workbook>').encode()
    workbook_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns='
                     f'"http://schemas.openxmlformats.org/package/2006/relationships">{"".join(rels)}'
                     '</Relationships>').encode()
    head = {"[Content_Types].xml": CONTENT_TYPES % "".join(overrides).encode(), "_rels/.rels": ROOT_RELS,
            "xl/workbook.xml": workbook, "xl/_rels/workbook.xml.rels": workbook_rels}
    return write_zip(path, {**head, **parts})


def patch_parts(source: Path, target: Path, replace: dict[str, Part | None] | None = None,
                edit: dict[str, Callable[[bytes], bytes]] | None = None) -> Path:
    """A copy of a package with parts replaced (None drops the part) or edited."""
    replace, edit = replace or {}, edit or {}
    parts: dict[str, Part] = {}
    with zipfile.ZipFile(source) as z:
        for info in z.infolist():
            data = z.read(info)
            if info.filename in replace:
                if replace[info.filename] is None:
                    continue
                data = replace[info.filename]
            elif info.filename in edit:
                data = edit[info.filename](data)
            parts[info.filename] = data
    for name, part in replace.items():
        if part is not None and name not in parts:
            parts[name] = part
    return write_zip(target, parts)


# --- worksheet XML ------------------------------------------------------------------------------------------

def col_letters(index: int) -> str:
    """1 → A, 16384 → XFD."""
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def cell_xml(ref: str, value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    if isinstance(value, tuple) and value[0] == "error":
        return f'<c r="{ref}" t="e"><v>{_esc(value[1])}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_esc(str(value))}</t></is></c>'


def rows_xml(rows: list[list], first_row: int = 1) -> str:
    out = []
    for i, row in enumerate(rows, start=first_row):
        cells = "".join(cell_xml(f"{col_letters(j)}{i}", v) for j, v in enumerate(row, start=1))
        out.append(f'<row r="{i}">{cells}</row>')
    return "".join(out)


def sheet_xml(body: str, dimension: str | None = None, prolog: str = "", after: str = "") -> bytes:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{prolog}<worksheet '
            f'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dim}<sheetData>{body}'
            f'</sheetData>{after}</worksheet>').encode()


def return_rows(county_label: str = "北流市", rows: list[list] | None = None) -> list[list]:
    """The grid of a plain return: title block, header, data (what simple_return writes)."""
    return [["玉林市城乡社区规范化建设情况报表"], [f"填报单位：{county_label}", "", "", "", "报告期：2015年"],
            HEADERS, *(standard_rows() if rows is None else rows)]


def valid_return(path: Path, **spec) -> Path:
    return simple_return(path, **spec)


# --- bytes that are not a workbook --------------------------------------------------------------------------

def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def pdf_bytes() -> bytes:
    return (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
            b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")


def csv_bytes(encoding: str = "utf-8") -> bytes:
    lines = [",".join(HEADERS), *(",".join(str(v) for v in row) for row in standard_rows())]
    return ("\n".join(lines) + "\n").encode(encoding)


def ole_encrypted_package() -> bytes:
    """The shape of an encrypted OOXML workbook: an OLE compound file with 'EncryptionInfo' and
    'EncryptedPackage' streams (header, one FAT sector, one directory sector, the streams' bytes)."""
    sector = 512
    header = bytearray(sector)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIII", header, 44, 1, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE)
    struct.pack_into("<I", header, 68, 0xFFFFFFFE)       # no DIFAT sectors
    struct.pack_into("<I", header, 72, 0)
    struct.pack_into("<I", header, 76, 0)                # FAT in sector 0
    for k in range(1, 109):
        struct.pack_into("<I", header, 76 + 4 * k, 0xFFFFFFFF)
    fat = bytearray(b"\xff" * sector)
    struct.pack_into("<IIII", fat, 0, 0xFFFFFFFD, 0xFFFFFFFE, 0xFFFFFFFE, 0xFFFFFFFE)

    def entry(name: str, kind: int, start: int, size: int, child: int = 0xFFFFFFFF, right: int = 0xFFFFFFFF):
        e = bytearray(128)
        encoded = (name + "\x00").encode("utf-16-le")
        e[0:len(encoded)] = encoded
        struct.pack_into("<HBB", e, 64, len(encoded), kind, 1)
        struct.pack_into("<III", e, 68, 0xFFFFFFFF, right, child)
        struct.pack_into("<II", e, 116, start, size)
        return bytes(e)
    directory = (entry("Root Entry", 5, 0xFFFFFFFE, 0, child=1) + entry("EncryptionInfo", 2, 2, 64, right=2)
                 + entry("EncryptedPackage", 2, 3, 64) + bytes(128))
    return bytes(header) + bytes(fat) + directory + bytes(sector) + bytes(random.Random(5).randbytes(sector))


# --- damage -------------------------------------------------------------------------------------------------

def flip_in_part(content: bytes, part: str, at: float = 0.5) -> bytes:
    """The package with a few bytes of one part's compressed stream inverted (the zip structure intact)."""
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        info = z.getinfo(part)
    name_len, extra_len = struct.unpack("<HH", content[info.header_offset + 26:info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len
    pos = start + int(info.compress_size * at)
    data = bytearray(content)
    for k in range(pos, min(pos + 8, start + info.compress_size)):
        data[k] ^= 0xFF
    return bytes(data)


def forge_sizes(content: bytes, part: str, file_size: int, crc: int | None = None) -> bytes:
    """The package with one part's declared uncompressed size (and CRC) rewritten in both headers."""
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        info = z.getinfo(part)
    data = bytearray(content)
    central = data.find(b"PK\x01\x02" + data[info.header_offset + 4:info.header_offset + 6])
    # Find the central directory entry of this part by its name.
    name = info.filename.encode()
    pos = 0
    while True:
        pos = data.find(b"PK\x01\x02", pos)
        assert pos >= 0, "central entry not found"
        n = struct.unpack("<H", data[pos + 28:pos + 30])[0]
        if data[pos + 46:pos + 46 + n] == name:
            central = pos
            break
        pos += 4
    for base, offset in ((info.header_offset, 14), (central, 16)):     # crc, compressed, uncompressed
        if crc is not None:
            struct.pack_into("<I", data, base + offset, crc)
        struct.pack_into("<I", data, base + offset + 8, file_size)
    return bytes(data)


def deflated_part(chunks: Iterable[bytes]) -> tuple[bytes, int, int]:
    """Raw deflate of the chunks: (compressed bytes, uncompressed size, crc32), streaming."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    out, size, crc = [], 0, 0
    for chunk in chunks:
        size += len(chunk)
        crc = zlib.crc32(chunk, crc)
        out.append(comp.compress(chunk))
    out.append(comp.flush())
    return b"".join(out), size, crc


def random_cjk(n: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    return "".join(chr(0x4E00 + rng.randrange(0x5000)) for _ in range(n))


def handmade_zip(entries: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip written field by field: (name, stored bytes, method, crc32, declared uncompressed size) per entry,
    so that the declared sizes and CRCs can lie about the data."""
    local, central, offset = [], [], 0
    for name, data, method, crc, size in entries:
        encoded = name.encode()
        header = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0x800, method, 0, 0x4621, crc, len(data), size,
                             len(encoded), 0) + encoded
        local.append(header + data)
        central.append(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0x800, method, 0, 0x4621, crc,
                                   len(data), size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
        offset += len(header) + len(data)
    directory = b"".join(central)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(directory), offset, 0)
    return b"".join(local) + directory + end


def deflated_entry(name: str, data: bytes) -> tuple[str, bytes, int, int, int]:
    compressed, size, crc = deflated_part([data])
    return name, compressed, zipfile.ZIP_DEFLATED, crc, size
