"""Bulk import of CSV and XLSX lists: per-row errors, no duplicates on re-import, scope, CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from bench.samples.generate import write
from shared.migrations import upgrade
from tests.builders import make_nik
from tests.registry.helpers import DEPOK, JABAR, NATIONAL, VIEWER, registry_http
from tools.services import SERVICES

pytestmark = pytest.mark.subprocess  # the large-file import validates in a process pool

SAMPLE = Path(__file__).resolve().parents[2] / "bench/samples/ntb-sample.csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def error_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def report_rows(reg, url: str, who, language: str = "id", **params) -> list[dict[str, str]]:
    """The rows of an import's error report, asked for in `language`."""
    headers = reg.headers(who) | {"Accept-Language": language}
    r = await reg.client.get(url, headers=headers, params=params)
    assert r.status_code == 200, r.text
    return error_rows(r.text)


async def test_the_sample_province_file_imports_valid_rows_and_reports_bad_ones(database_url):
    async with registry_http(database_url) as reg:
        r = await reg.client.post(
            "/volunteers/imports",
            content=SAMPLE.read_bytes(),
            params={"filename": SAMPLE.name},
            headers={"Content-Type": "text/csv"} | reg.headers(NATIONAL),
        )
        assert r.status_code == 201, r.text
        report = r.json()
        assert (report["rows"], report["imported"], report["invalid"], report["duplicates"]) == (
            48,
            40,
            7,
            1,
        )
        errors = await reg.get(report["errors_url"], NATIONAL)
        assert errors.headers["content-type"].startswith("text/csv")
        assert errors.headers["content-language"] == "id"
        rows = [(r["Baris"], r["Kolom"], r["Alasan"]) for r in error_rows(errors.text)]
        assert rows == [
            ("42", "NIK", "NIK ini muncul dua kali di dalam berkas"),
            (
                "43",
                "NIK",
                "NIK terbaca sebagai angka dan dibulatkan oleh aplikasi lembar kerja; simpan "
                "kolom NIK sebagai teks",
            ),
            ("44", "NIK", "NIK harus 16 angka"),
            (
                "45",
                "Kode Desa",
                "kode desa/kelurahan tidak dikenal (tidak ada dalam data wilayah Kemendagri)",
            ),
            (
                "46",
                "Jenis Kelamin",
                "jenis kelamin tidak sesuai dengan NIK (pada NIK perempuan, tanggal lahir "
                "ditambah 40)",
            ),
            ("47", "Tanggal Lahir", "umur relawan minimal 18 tahun"),
            ("48", "No HP", "bukan nomor HP Indonesia yang sah"),
            ("49", "Nama", "wajib diisi"),
        ]
        english = await report_rows(reg, report["errors_url"], NATIONAL, "en-US,en;q=0.9")
        rows = [(r["row"], r["field"], r["reason"]) for r in english]
        assert rows == [
            ("42", "nik", "this NIK appears twice in the file"),
            (
                "43",
                "nik",
                "was read as a number and rounded by a spreadsheet; store the NIK column as text",
            ),
            ("44", "nik", "must be exactly 16 digits"),
            ("45", "village_code", "is not a village in the current Kemendagri dataset"),
            ("46", "sex", "does not match the NIK (women's NIK birth day is the day plus 40)"),
            ("47", "birth_date", "the volunteer must be at least 18 years old"),
            ("48", "phone", "is not a valid Indonesian phone number"),
            ("49", "full_name", "Field required"),
        ]
        assert len(await reg.outbox_events("volunteer-registered")) == 40
        listed = (
            await reg.get("/volunteers", NATIONAL, params={"region": "52", "total": "true"})
        ).json()
        assert listed["total"] == 40


async def test_a_form_upload_imports_like_a_raw_body(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}"
    async with registry_http(url) as reg:
        r = await reg.client.post(
            "/volunteers/imports",
            files={"file": (SAMPLE.name, SAMPLE.read_bytes(), "text/csv")},
            headers=reg.headers(NATIONAL),
        )
        assert r.status_code == 201, r.text
        assert (r.json()["filename"], r.json()["imported"], r.json()["invalid"]) == (
            SAMPLE.name,
            40,
            7,
        )
        missing = await reg.client.post(
            "/volunteers/imports",
            files={"other": ("x.csv", b"a,b\n")},
            headers=reg.headers(NATIONAL),
        )
        assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "file"


async def test_reimporting_the_same_file_creates_no_duplicates(database_url):
    async with registry_http(database_url) as reg:
        first = (
            await reg.post("/volunteers/imports", NATIONAL, content=SAMPLE.read_bytes())
        ).json()
        second = (
            await reg.post("/volunteers/imports", NATIONAL, content=SAMPLE.read_bytes())
        ).json()
        assert first["imported"] == 40
        assert (second["imported"], second["duplicates"]) == (0, 41)
        [(count,)] = await reg.sql("SELECT count(*) FROM volunteers")
        assert count == 40
        dupes = [
            r
            for r in await report_rows(reg, second["errors_url"], NATIONAL, "en")
            if r["existing_volunteer_id"]
        ]
        assert len(dupes) == 40
        assert len(await reg.outbox_events("volunteer-registered")) == 40


async def test_an_xlsx_nik_stored_as_a_number_is_reported_as_rounded(tmp_path):
    good, rounded = make_nik(serial=11), make_nik(serial=12)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["NIK", "Full Name", "Birth Date", "Sex", "Village Code", "Phone"])
    ws.append([good, "Siti Aminah", "17/05/1990", "L", "32.76.01.1006", "081234567890"])
    ws.append([int(rounded), "Budi", "1990-05-17", "L", "32.76.01.1006", None])
    path = tmp_path / "list.xlsx"
    wb.save(path)
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        r = await reg.client.post(
            "/volunteers/imports",
            content=path.read_bytes(),
            headers={"Content-Type": XLSX} | reg.headers(DEPOK),
        )
        assert r.status_code == 201, r.text
        assert (r.json()["imported"], r.json()["invalid"]) == (1, 1)
        [row] = await report_rows(reg, r.json()["errors_url"], DEPOK, "en")
        assert (row["row"], row["field"]) == ("3", "nik")
        assert "rounded" in row["reason"]
        assert rounded not in row["reason"]


async def test_rows_outside_the_operators_region_are_reported_not_imported(tmp_path):
    path = write(tmp_path / "ntb.csv", "52", 5)
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        depok = (await reg.post("/volunteers/imports", DEPOK, content=path.read_bytes())).json()
        assert (depok["imported"], depok["invalid"]) == (0, 5)
        reasons = {r["Alasan"] for r in await report_rows(reg, depok["errors_url"], DEPOK)}
        assert reasons == {"desa/kelurahan ini di luar wilayah Anda"}
        assert (await reg.post("/volunteers/imports", VIEWER, content=b"x")).status_code == 403
        jabar = (await reg.post("/volunteers/imports", JABAR, content=path.read_bytes())).json()
        assert jabar["imported"] == 0


async def test_a_file_without_the_required_columns_is_refused(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        r = await reg.post("/volunteers/imports", NATIONAL, content=b"name,phone\nSiti,0812\n")
        assert r.status_code == 422
        assert r.json()["detail"] == (
            "baris judul tidak memuat kolom: NIK, Tanggal Lahir, Jenis Kelamin, Kode Desa"
        )


async def test_a_csv_that_cannot_be_decoded_is_refused_as_unreadable(tmp_path):
    header = "nik,full_name,birth_date,sex,village_code\n".encode("utf-16-le")
    broken = b"\xff\xfe" + header + b"\x00\xd8" + "x,y\n".encode("utf-16-le")  # a lone surrogate
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        r = await reg.post("/volunteers/imports", NATIONAL, content=broken)
        assert r.status_code == 422, r.text
        assert "UTF-16" in r.json()["detail"]
        assert r.json()["errors"] == [{"field": "file", "message": r.json()["detail"]}]


async def test_a_file_spanning_several_chunks_imports_every_row(tmp_path):
    path = write(tmp_path / "ntb.csv", "52", 250, with_bad=True)
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db", import_chunk_size=100) as reg:
        report = (await reg.post("/volunteers/imports", NATIONAL, content=path.read_bytes())).json()
        assert (report["rows"], report["imported"], report["invalid"], report["duplicates"]) == (
            258,
            250,
            7,
            1,
        )
        assert len(await reg.outbox_events("volunteer-registered")) == 250


def test_the_cli_imports_a_file_and_writes_the_error_report(tmp_path, monkeypatch):
    from services.registry.cli import app

    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    upgrade(SERVICES["registry"].migrations_dir, url)
    monkeypatch.setenv("REGISTRY_DATABASE_URL", url)
    errors = tmp_path / "errors.csv"
    result = CliRunner().invoke(app, ["import", "volunteers", str(SAMPLE), "--errors", str(errors)])
    assert result.exit_code == 0, result.output
    assert "40 imported, 7 invalid, 1 duplicates" in result.output
    assert len(error_rows(errors.read_text())) == 8


def test_the_cli_creates_operators_and_issues_their_tokens(tmp_path, monkeypatch):
    from services.registry.cli import app
    from services.registry.config import Settings
    from shared.identity import Audience, PublicKeys, Revocations, TokenVerifier
    from tests.builders import TEST_JWKS

    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    upgrade(SERVICES["registry"].migrations_dir, url)
    monkeypatch.setenv("REGISTRY_DATABASE_URL", url)
    runner = CliRunner()
    created = runner.invoke(
        app,
        [
            "operators",
            "create",
            "depok@dinsos.go.id",
            "--role",
            "regency_operator",
            "--scope",
            "32.76",
            "--password-stdin",
        ],
        input="taman-kota-margonda-2026\n",
    )
    assert created.exit_code == 0, created.output
    operator_id = created.output.split()[1].rstrip(":")
    wrong = runner.invoke(
        app,
        ["operators", "create", "x@y.id", "--role", "regency_operator", "--scope", "32"],
        input="taman-kota-margonda-2026\ntaman-kota-margonda-2026\n",
    )
    assert wrong.exit_code == 2
    token = runner.invoke(app, ["operators", "token", "depok@dinsos.go.id"])
    assert token.exit_code == 0, token.output
    verifier = TokenVerifier(
        issuer=Settings(database_url=url).token_issuer,
        audience=Audience.REGISTRY,
        keys=PublicKeys(json.loads(TEST_JWKS)),
        revocations=Revocations.followed_elsewhere(),
    )
    principal = verifier.verify(token.output.strip())
    assert (principal.subject, principal.role, principal.scope) == (
        operator_id,
        "regency_operator",
        "32.76",
    )


async def test_a_large_file_is_validated_in_a_worker_process_with_the_same_result(tmp_path):
    path = write(tmp_path / "ntb.csv", "52", 250, with_bad=True)
    url = f"sqlite+aiosqlite:///{tmp_path}/r.db"
    async with registry_http(url, import_chunk_size=100, import_worker_min_bytes=0) as reg:
        report = (await reg.post("/volunteers/imports", NATIONAL, content=path.read_bytes())).json()
        assert (report["rows"], report["imported"], report["invalid"], report["duplicates"]) == (
            258,
            250,
            7,
            1,
        )
        assert len(await reg.outbox_events("volunteer-registered")) == 250
        unreadable = await reg.post("/volunteers/imports", NATIONAL, content=b"name\nx\n")
        assert unreadable.status_code == 422
        assert "NIK" in unreadable.json()["detail"]


def test_the_workers_shares_of_a_csv_are_exactly_the_files_chunks(tmp_path):
    """Each validating worker takes every n-th chunk; together, in turn, they are the file's
    chunks in order — blank lines included, which count for no chunk."""
    from services.registry.service.spreadsheets import chunks, read_chunks, read_rows

    path = write(tmp_path / "v.csv", "35", 1_001)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[300:300] = ["", ",,,"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected = [[r.number for r in c] for c in chunks(read_rows(path), 70)]
    for workers in (1, 2, 3):
        merged: list[list[int]] = [[] for _ in expected]
        for index in range(workers):
            for turn, chunk in enumerate(read_chunks(path, 70, index=index, of=workers)):
                merged[index + turn * workers] = [r.number for r in chunk]
        assert merged == expected, f"{workers} workers"
    assert sum(len(c) for c in expected) == 1_001
