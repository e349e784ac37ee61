"""Operators are served in Bahasa Indonesia (English on request), and the lists they actually
upload import: Indonesian column names and values, files saved by Excel on Windows, and an
error report that can leave out the rows already registered."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from services.registry.service.text_files import detect_encoding, sniff_delimiter
from tests.builders import make_nik, volunteer_payload
from tests.registry.helpers import DEPOK, NATIONAL, Registry, registry_http

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VILLAGE = "32.76.01.1006"
BORN = date(1990, 5, 17)
HEADER = ["No", "NIK", "Nama Lengkap", "Tempat Lahir", "Tgl. Lahir", "L/P", "Kode Desa", "No. HP"]


def _db(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/r.db"


def _lines(rows: list[list[str]], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


async def _import(reg: Registry, content: bytes, who: dict[str, Any] = DEPOK) -> dict[str, Any]:
    r = await reg.post("/volunteers/imports", who, content=content)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _names(reg: Registry) -> set[str]:
    listed = (await reg.get("/volunteers", DEPOK, params={"region": "32.76"})).json()
    return {v["full_name"] for v in listed["items"]}


async def _report(
    reg: Registry, url: str, language: str = "", **params: Any
) -> tuple[str, list[list[str]]]:
    """An import's error report (its language and its lines), asked for in `language`."""
    headers = reg.headers(DEPOK) | ({"Accept-Language": language} if language else {})
    r = await reg.client.get(url, headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.headers["content-language"], list(csv.reader(io.StringIO(r.text)))


async def test_an_excel_windows_csv_with_semicolons_and_accented_names_imports(tmp_path):
    rows = [
        HEADER,
        ["1", make_nik(birth=BORN), "André O’Neil", "Depok", "17-05-1990", "L", VILLAGE, ""],
        ["2", make_nik(birth=BORN), "Zoë Café", "Bogor", "17/05/1990", "L", VILLAGE, ""],
    ]
    rows[1][7] = "0812-3456-7890"
    data = _lines(rows, ";").encode("cp1252")  # Excel's "CSV (Comma delimited)", Indonesian
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    async with registry_http(_db(tmp_path)) as reg:
        report = await _import(reg, data)
        assert (report["imported"], report["invalid"]) == (2, 0), report
        assert await _names(reg) == {"André O’Neil", "Zoë Café"}


async def test_a_utf16_unicode_text_file_from_excel_imports(tmp_path):
    rows = [
        HEADER,
        ["1", make_nik(birth=BORN), "Dédé Ŝuryani", "Depok", "1990-05-17", "L", VILLAGE, ""],
    ]
    data = _lines(rows, "\t").encode("utf-16")  # "Unicode Text": UTF-16 LE with a BOM, tabs
    assert data[:2] == b"\xff\xfe"
    async with registry_http(_db(tmp_path)) as reg:
        report = await _import(reg, data)
        assert (report["imported"], report["invalid"]) == (1, 0), report
        assert await _names(reg) == {"Dédé Ŝuryani"}


async def test_indonesian_column_names_dates_and_sexes_are_understood(tmp_path):
    header = [
        "NIK",
        "Nama",
        "Tanggal Lahir",
        "Jenis Kelamin",
        "Kode Wilayah Desa",
        "Nomor WhatsApp",
    ]
    header += ["Surel", "Pendidikan", "Pekerjaan", "Nomor IPSM", "Umur", "Keterangan"]
    woman = make_nik(birth=BORN, female=True)
    budi = ["budi@contoh.id", "SMA", "Guru", "IPSM-1", "35", "ketua RT"]
    rows = [
        header,
        [make_nik(birth=BORN), "Budi", "17-05-1990", "Laki-laki", VILLAGE, "0812 3456 7890", *budi],
        [woman, "Siti", "17/05/1990", "Perempuan", VILLAGE, "", "", "", "", "", "", ""],
        [make_nik(birth=BORN), "Agus", "1990-05-17", "L", VILLAGE, "", "", "", "", "", "", ""],
        [make_nik(birth=BORN), "Joko", "31-02-1990", "L", VILLAGE, "", "", "", "", "", "", ""],
    ]
    async with registry_http(_db(tmp_path)) as reg:
        report = await _import(reg, _lines(rows, ",").encode())
        assert (report["imported"], report["invalid"]) == (3, 1), report
        [(sex, email, education, ipsm)] = await reg.sql(
            "SELECT sex, email, education, ipsm_number FROM volunteers WHERE full_name = 'Budi'"
        )
        assert (sex, email, education, ipsm) == ("L", "budi@contoh.id", "SMA", "IPSM-1")
        [(sex,)] = await reg.sql("SELECT sex FROM volunteers WHERE full_name = 'Siti'")
        assert sex == "P"
        _, [_, row] = await _report(reg, report["errors_url"])
        assert row[:3] == [
            "5",
            "Tanggal Lahir",
            "harus berupa tanggal (HH-BB-TTTT atau TTTT-BB-HH)",
        ]


async def test_an_xlsx_with_indonesian_headers_and_date_cells_imports(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["NIK", "Nama Lengkap", "Tgl Lahir", "JK", "Kode Kelurahan", "No Telp"])
    ws.append([make_nik(birth=BORN), "Rina", datetime(1990, 5, 17), "P ", VILLAGE, None])
    ws.append(
        [make_nik(birth=BORN, female=True), "Sari", datetime(1990, 5, 17), "P", VILLAGE, None]
    )
    path = tmp_path / "daftar.xlsx"
    wb.save(path)
    async with registry_http(_db(tmp_path)) as reg:
        r = await reg.client.post(
            "/volunteers/imports",
            content=path.read_bytes(),
            headers={"Content-Type": XLSX} | reg.headers(DEPOK),
        )
        assert r.status_code == 201, r.text
        assert (r.json()["imported"], r.json()["invalid"]) == (1, 1)
        _, [_, row] = await _report(reg, r.json()["errors_url"])
        assert row[:2] == ["2", "Jenis Kelamin"]  # Rina's NIK is a man's
        assert await _names(reg) == {"Sari"}


async def test_a_header_naming_a_column_twice_is_refused_naming_the_columns(tmp_path):
    data = b"NIK,Nama,Nama Lengkap,Tanggal Lahir,JK,Kode Desa\n"
    async with registry_http(_db(tmp_path)) as reg:
        r = await reg.post("/volunteers/imports", DEPOK, content=data)
        assert r.status_code == 422
        assert r.json()["detail"] == (
            "kolom Nama muncul lebih dari sekali di baris judul (kolom ke-2, 3)"
        )


async def test_the_error_report_can_leave_out_rows_already_registered_but_counts_them(tmp_path):
    rows = [["nik", "full_name", "birth_date", "sex", "village_code"]]
    rows += [[make_nik(birth=BORN), "Siti", "1990-05-17", "L", VILLAGE] for _ in range(3)]
    first = _lines(rows, ",")
    twice = make_nik(birth=BORN)
    again = first + _lines(
        [
            [twice, "Dewi", "1990-05-17", "L", VILLAGE],
            [twice, "Dewi", "1990-05-17", "L", VILLAGE],
            ["12345", "Budi", "1990-05-17", "L", VILLAGE],
        ],
        ",",
    )
    async with registry_http(_db(tmp_path)) as reg:
        assert (await _import(reg, first.encode()))["imported"] == 3
        second = await _import(reg, again.encode())
        assert (second["imported"], second["invalid"]) == (1, 1)
        assert (second["duplicates"], second["already_registered"]) == (4, 3)
        _, everything = await _report(reg, second["errors_url"])
        assert len(everything) == 1 + 5
        assert sum(1 for r in everything[1:] if r[3]) == 3  # each names the registered id
        _, errors = await _report(reg, second["errors_url"], include_registered="false")
        assert errors[1:] == [
            ["6", "NIK", "NIK ini muncul dua kali di dalam berkas", ""],
            ["7", "NIK", "NIK harus 16 angka", ""],
        ]
        summary = (await reg.get(f"/volunteers/imports/{second['id']}", DEPOK)).json()
        assert summary["already_registered"] == 3


async def test_the_error_report_is_in_indonesian_by_default_and_english_on_request(tmp_path):
    data = b"nik,full_name,birth_date,sex,village_code\n12345,Siti,1990-05-17,L,32.76.01.1006\n"
    async with registry_http(_db(tmp_path)) as reg:
        report = await _import(reg, data)
        language, rows = await _report(reg, report["errors_url"])
        assert language == "id"
        assert rows == [
            ["Baris", "Kolom", "Alasan", "ID relawan terdaftar"],
            ["2", "NIK", "NIK harus 16 angka", ""],
        ]
        language, rows = await _report(reg, report["errors_url"], "en-US,en;q=0.9,id;q=0.4")
        assert language == "en"
        assert rows == [
            ["row", "field", "reason", "existing_volunteer_id"],
            ["2", "nik", "must be exactly 16 digits", ""],
        ]


async def test_a_registry_problem_is_in_indonesian_by_default_and_english_on_request(tmp_path):
    missing = uuid.uuid4()
    async with registry_http(_db(tmp_path)) as reg:
        r = await reg.get(f"/volunteers/{missing}", DEPOK)
        assert (r.status_code, r.headers["content-language"]) == (404, "id")
        assert (r.json()["title"], r.json()["detail"]) == (
            "Tidak ditemukan",
            f"relawan {missing} tidak ditemukan",
        )
        english = reg.headers(DEPOK) | {"Accept-Language": "en"}
        r = await reg.client.get(f"/volunteers/{missing}", headers=english)
        assert (r.json()["title"], r.json()["detail"]) == ("Not found", f"no volunteer {missing}")
        body = volunteer_payload(nik="3276011705901234")
        assert (await reg.post("/volunteers", NATIONAL, json=body)).status_code == 201
        taken = await reg.post("/volunteers", NATIONAL, json=body)
        assert (taken.status_code, taken.json()["title"]) == (409, "Sudah terdaftar")
        assert "3276011705901234" not in taken.text
        young = volunteer_payload(birth_date="2020-05-17")
        r = await reg.client.post("/volunteers", json=young, headers=english)
        assert r.json()["errors"][0]["field"] == "birth_date"
        assert r.json()["title"] == "Invalid volunteer"


def test_the_encoding_is_told_by_bom_then_utf8_validity_else_windows_1252(tmp_path):
    cases = {
        "utf8.csv": ("nik;Nama\nx;André\n".encode(), "utf-8"),
        "bom.csv": ("\ufeffnik,Nama\n".encode(), "utf-8-sig"),
        "utf16.csv": ("nik\tNama\n".encode("utf-16"), "utf-16"),
        "ansi.csv": ("nik;Nama\nx;André O’Neil\n".encode("cp1252"), "cp1252"),
        "ascii.csv": (b"nik,Nama\n", "utf-8"),
    }
    for name, (data, encoding) in cases.items():
        (tmp_path / name).write_bytes(data)
        assert detect_encoding(tmp_path / name) == encoding, name


def test_the_delimiter_is_sniffed_from_the_header_line():
    assert sniff_delimiter("NIK;Nama;Alamat\r\n") == ";"
    assert sniff_delimiter("NIK\tNama\tAlamat\n") == "\t"
    assert sniff_delimiter("NIK,Nama,Alamat\n") == ","
    assert sniff_delimiter("NIK\n") == ","


async def test_a_byte_windows_1252_leaves_unassigned_refuses_its_row_not_the_file(tmp_path):
    rows = [
        ["nik", "full_name", "birth_date", "sex", "village_code"],
        [make_nik(birth=BORN), "André", "1990-05-17", "L", VILLAGE],
        [make_nik(birth=BORN), "Si\x81ti", "1990-05-17", "L", VILLAGE],
    ]
    data = _lines(rows, ";").encode("latin-1")  # 0x81: no character in Windows-1252
    async with registry_http(_db(tmp_path)) as reg:
        report = await _import(reg, data)
        assert (report["imported"], report["invalid"]) == (1, 1)
        _, [_, row] = await _report(reg, report["errors_url"], "en")
        assert row[:3] == ["3", "full_name", "contains a control or invisible formatting character"]
