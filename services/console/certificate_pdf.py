"""Certificates as PDF (fpdf2): one A4-landscape page each, the holder's name, and a QR code
(segno, drawn as an image) to the console's public verification page.

The name is only ever in the document: the console reads it from registry at print time
and keeps nothing. Fonts: DejaVu Serif (Debian's `fonts-dejavu-core`, installed with
Chromium by `tools/sh/ensure-chromium.sh`) renders every Indonesian name, diacritics
included; without it the PDF core font Times is used and letters outside Latin-1 are
transliterated (`Ṣ` → `S`), so a missing font never fails a print.

Speed: fpdf2 parses each TrueType font it is given, and subsets it when the PDF is written,
once per document (the parsed font is subset in place, so it cannot be shared between
documents). DejaVu Serif has ~3,400 glyphs, most of them scripts a certificate never shows,
so the console cuts the two fonts down once per process to Latin in all its accented forms
(every Indonesian name) and common punctuation, written to a private temporary directory;
each document then parses and subsets that small font (about a third of the work). A
document with a letter outside it (a Greek or Cyrillic name) is built with the full fonts.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass
from datetime import date
from pathlib import Path

import segno
from fontTools import subset as ftsubset  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from fpdf import FPDF
from PIL import Image

from shared.logging import get_logger

log = get_logger("console.certificate_pdf")

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FAMILY = "DejaVuSerif"
MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
STYLES = ("", "B")  # regular and bold: all a certificate draws
#: the letters the cut-down fonts keep: Basic Latin, Latin-1, Latin Extended-A/B, spacing
#: modifiers (ʼ) and combining marks, Latin Extended Additional (Ṣ, Ḥ), general
#: punctuation (’ “ – …), € and ™
REPERTOIRE = (
    (0x20, 0x7E),
    (0xA0, 0x24F),
    (0x2B0, 0x36F),
    (0x1E00, 0x1EFF),
    (0x2000, 0x206F),
    (0x20AC, 0x20AC),
    (0x2122, 0x2122),
)
LEVELS = {"dasar": "Dasar", "lanjutan": "Lanjutan", "khusus": "Khusus"}
INK, MUTED, RED = (34, 34, 34), (90, 90, 90), (176, 0, 0)


MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def indonesian_date(day: date, language: str = "id") -> str:
    """`7 Juni 2022` (`7 June 2022` in English)."""
    months = MONTHS_EN if language == "en" else MONTHS
    return f"{day.day} {months[day.month - 1]} {day.year}"


def date_span(start: date, end: date, language: str = "id") -> str:
    """`30 November s.d. 1 Desember 2022`, or one date for a one-day session."""
    if start == end:
        return indonesian_date(start, language)
    until = "to" if language == "en" else "s.d."
    if start.year == end.year:
        months = MONTHS_EN if language == "en" else MONTHS
        return f"{start.day} {months[start.month - 1]} {until} {indonesian_date(end, language)}"
    return f"{indonesian_date(start, language)} {until} {indonesian_date(end, language)}"


@dataclass(frozen=True)
class PrintedCertificate:
    """What one printed page shows."""

    number: str
    holder_name: str
    course_title: str
    level: str
    hours: int
    session_title: str
    start_date: date
    end_date: date
    issuer: str
    issued_on: date
    valid_until: date | None
    display_code: str
    verify_url: str
    #: a verifier's status on the print day: "valid" prints plainly, "expired" is marked
    status: str = "valid"


def qr_image(url: str, *, scale: int = 4, border: int = 4) -> Image.Image:
    """The URL as a QR code (error correction M), black on white with its quiet zone.

    Drawn from segno's matrix with Pillow rather than through segno's PNG writer: a
    session's print makes hundreds, and this skips writing and re-reading a PNG each.
    """
    qr = segno.make(url, error="m", micro=False)
    size = len(qr.matrix) + 2 * border
    image = Image.new("1", (size, size), 1)
    pixels = image.load()
    assert pixels is not None  # noqa: S101 - a new image always has pixels
    for y, row in enumerate(qr.matrix):
        for x, dark in enumerate(row):
            if dark:
                pixels[x + border, y + border] = 0
    return image.resize((size * scale, size * scale), Image.Resampling.NEAREST)


def build_pdf(certificates: Sequence[PrintedCertificate], *, font_dir: Path = FONT_DIR) -> bytes:
    """One page per certificate, in the order given."""
    # fontTools reports every font subset at INFO: noise in the console's logs
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    pdf = _Document(fonts_for(certificates, font_dir))
    for cert in certificates:
        pdf.certificate(cert)
    return bytes(pdf.output())


@dataclass(frozen=True)
class Fonts:
    """The font files of one document, by style (none: the core font Times)."""

    files: dict[str, Path] | None
    #: the letters they draw (None: every letter of the full fonts)
    letters: frozenset[int] | None = None


_cut_lock = threading.Lock()
_cut_fonts: dict[Path, Fonts | None] = {}


def fonts_for(certificates: Iterable[PrintedCertificate], font_dir: Path = FONT_DIR) -> Fonts:
    """DejaVu Serif cut down to `REPERTOIRE` when every letter of the certificates is in it,
    else the full font files; none when the fonts are not installed."""
    full = {style: font_dir / f"{FAMILY}{'-Bold' if style else ''}.ttf" for style in STYLES}
    if not all(f.is_file() for f in full.values()):
        return Fonts(None)
    cut = cut_down(font_dir, full)
    if cut is not None and cut.letters is not None:
        used = {ord(ch) for c in certificates for field in astuple(c) for ch in str(field)}
        if used <= cut.letters:
            return cut
    return Fonts(full)


def cut_down(font_dir: Path, full: dict[str, Path]) -> Fonts | None:
    """The fonts cut down to `REPERTOIRE`, made on first use and kept for the process (in
    a private temporary directory removed at exit); None if they cannot be made."""
    with _cut_lock:
        if font_dir not in _cut_fonts:
            _cut_fonts[font_dir] = _cut(full)
        return _cut_fonts[font_dir]


def _cut(full: dict[str, Path]) -> Fonts | None:
    into = Path(tempfile.mkdtemp(prefix="psm-console-fonts-"))
    atexit.register(shutil.rmtree, into, ignore_errors=True)
    files: dict[str, Path] = {}
    letters: frozenset[int] | None = None
    try:
        for style, path in full.items():
            font = TTFont(path, recalcTimestamp=False)
            options = ftsubset.Options()
            options.glyph_names = True  # fpdf2 subsets again by glyph name
            options.notdef_outline = True
            options.recommended_glyphs = True
            options.name_IDs = ["*"]
            options.name_languages = ["*"]
            options.hinting = False  # hints only help screens at small sizes; they cost
            # what fpdf2 drops when it writes the PDF anyway (no text shaping here)
            options.drop_tables += ["FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx"]
            options.layout_features = []
            subsetter = ftsubset.Subsetter(options)
            subsetter.populate(unicodes=[u for a, b in REPERTOIRE for u in range(a, b + 1)])
            subsetter.subset(font)
            files[style] = into / path.name
            font.save(files[style])
            kept = frozenset(font.getBestCmap())
            letters = kept if letters is None else letters & kept
            font.close()
    except Exception as exc:  # a font fontTools cannot cut still prints, in full
        log.warning(
            "certificate fonts not cut down, printing with the full fonts", error=type(exc).__name__
        )
        shutil.rmtree(into, ignore_errors=True)
        return None
    return Fonts(files, letters)


class _Document(FPDF):
    def __init__(self, fonts: Fonts) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.set_auto_page_break(False)
        self.set_title("Sertifikat Bimtek PSM")
        self.set_creator("Konsol PSM")
        self.unicode = fonts.files is not None
        if fonts.files is not None:
            for style, path in fonts.files.items():
                self.add_font(FAMILY, style, str(path))
            self.family = FAMILY
        else:
            self.family = "Times"

    def text_of(self, value: str) -> str:
        """The text as the font can draw it (transliterated for the core font)."""
        return value if self.unicode else latin1(value)

    def centred(self, text: str, *, size: float, bold: bool = False, gap: float = 2) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        height = size * 0.45
        while size > 8 and self.get_string_width(self.text_of(text)) > self.epw - 20:
            size -= 1  # a long name or title shrinks to fit the line, never wraps
            self.set_font_size(size)
        self.cell(0, height, self.text_of(text), align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(gap)

    def certificate(self, c: PrintedCertificate) -> None:
        self.add_page()
        self._frame()
        self.set_text_color(*INK)
        self.set_xy(20, 24)
        self.centred("SERTIFIKAT", size=30, bold=True, gap=1)
        self.set_text_color(*MUTED)
        self.centred(f"Nomor: {c.number}", size=11, gap=7)
        self.set_text_color(*INK)
        self.centred("Diberikan kepada", size=13, gap=3)
        self.centred(c.holder_name, size=26, bold=True, gap=3)
        self.centred("yang telah mengikuti dan dinyatakan LULUS", size=12, gap=5)
        self.centred(c.course_title, size=17, bold=True, gap=2)
        level = LEVELS.get(c.level, c.level.capitalize())
        self.centred(f"Tingkat {level} · {c.hours} jam pelajaran", size=12, gap=2)
        self.centred(f"{c.session_title}, {date_span(c.start_date, c.end_date)}", size=11, gap=2)
        self.centred(f"Diselenggarakan oleh {c.issuer}", size=12, gap=2)
        valid = (
            f" · berlaku sampai {indonesian_date(c.valid_until)}"
            if c.valid_until
            else " · berlaku tanpa batas waktu"
        )
        self.centred(f"Diterbitkan {indonesian_date(c.issued_on)}{valid}", size=11, gap=2)
        if c.status == "expired":
            self.set_text_color(*RED)
            self.centred("MASA BERLAKU TELAH HABIS", size=12, bold=True)
        self._verification(c)

    def _frame(self) -> None:
        self.set_draw_color(51, 68, 85)
        self.set_line_width(1.2)
        self.rect(10, 10, 277, 190)
        self.set_line_width(0.4)
        self.rect(13, 13, 271, 184)

    def _verification(self, c: PrintedCertificate) -> None:
        size = 34
        x, y = 297 - 20 - size, 210 - 20 - size
        self.image(qr_image(c.verify_url), x=x, y=y, w=size, h=size)
        self.set_text_color(*INK)
        self.set_xy(22, y + 4)
        self.set_font(self.family, "", 10)
        width = x - 26
        self.cell(
            width,
            5,
            self.text_of("Periksa keaslian sertifikat ini:"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        self.set_x(22)
        self.cell(
            width,
            5,
            self.text_of("pindai kode QR, atau buka alamat di bawah dan masukkan kode verifikasi."),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        self.set_x(22)
        self.set_font(self.family, "B", 13)
        self.cell(width, 8, f"Kode verifikasi: {c.display_code}", new_x="LMARGIN", new_y="NEXT")
        self.set_x(22)
        self.set_font(self.family, "", 9)
        self.set_text_color(*MUTED)
        self.cell(width, 5, self.text_of(c.verify_url), link=c.verify_url)


def latin1(value: str) -> str:
    """Letters the PDF core fonts cannot draw, without their marks (`Ṣ` → `S`, `ā` → `a`);
    what still does not fit becomes `?`. Latin-1 letters (`é`) stay as they are."""
    out = []
    for char in value:
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            bare = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
            out.append(bare if bare.isascii() and bare else "?")
    return "".join(out)
