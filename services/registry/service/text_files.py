"""How a CSV file is read as text: its encoding and its delimiter, as Excel writes them.

Excel on Windows saves "CSV (Comma delimited)" in the machine's ANSI code page — Windows-1252
on the Indonesian and English versions — not UTF-8; "Unicode Text" is UTF-16 with a byte
order mark (and tab-delimited); "CSV UTF-8" is UTF-8 with a BOM; LibreOffice and scripts
write UTF-8 without one. And Excel set to the Indonesian locale, whose decimal separator
is the comma, separates cells with semicolons.

The encoding (`detect_encoding`), in this order:
1. a UTF-8 byte order mark: UTF-8;
2. a UTF-16 byte order mark (either byte order): UTF-16;
3. the whole file decodes as UTF-8: UTF-8 (a Windows-1252 file with any byte above 0x7F is
   almost never valid UTF-8, so the check does not mistake one for the other);
4. otherwise Windows-1252, the code page Excel used. Its five unassigned bytes are read as
   the Latin-1 control characters Windows maps them to (never a decoding error: the names
   that hold one are refused row by row, like any control character).
Why not a statistical detector (chardet): it guesses among dozens of encodings from a
sample and can guess wrong on a short file; operators' files come from Excel, whose three
encodings above are told apart with certainty, and a plain ASCII file is the same in all.

The delimiter (`sniff_delimiter`) is whichever of `,` `;` and tab occurs most often in the
header line (a comma when none does): header names hold none of them, unlike the data rows,
whose addresses hold commas.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import IO

CP1252 = "cp1252"
#: How bytes Windows-1252 leaves unassigned (0x81, 0x8D, 0x8F, 0x90, 0x9D) are read.
LENIENT = "registry-c1-controls"
DELIMITERS = (",", ";", "\t")
_SCAN_BYTES = 1 << 20


def _as_c1(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error(LENIENT, _as_c1)


def detect_encoding(path: Path) -> str:
    """The encoding of a CSV file (see the module's documentation)."""
    with path.open("rb") as f:
        head = f.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        f.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := f.read(_SCAN_BYTES):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return CP1252
    return "utf-8"


def open_text(path: Path) -> IO[str]:
    """The CSV file as a text stream in its encoding (newlines left to the csv module)."""
    encoding = detect_encoding(path)
    errors = LENIENT if encoding == CP1252 else "strict"
    return path.open(encoding=encoding, errors=errors, newline="")


def sniff_delimiter(header_line: str) -> str:
    """The delimiter of a CSV file, from its header line."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # the first of equals: the comma
    return best if counts[best] else ","
