"""Names and other typed text: NFC and trimmed; no control, invisible or bidi characters;
names begin with a letter (a leading = + - @ would be a spreadsheet formula). The refusal is
a 422 naming the field and the rule, never echoing the value."""

from __future__ import annotations

import csv
import io
import unicodedata

import pytest

from tests.builders import volunteer_payload
from tests.registry.helpers import NATIONAL, registry_http

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
BIDI += ["\u200e", "\u200f", "\u061c"]


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("full_name", "=HYPERLINK(1)", "harus diawali huruf"),
        ("full_name", "+Siti", "harus diawali huruf"),
        ("full_name", "-Siti", "harus diawali huruf"),
        ("full_name", "@Siti", "harus diawali huruf"),
        ("full_name", "Siti\u202eanimA", "pengatur arah teks"),
        ("full_name", "Siti\x07Aminah", "karakter kendali"),
        ("full_name", "Siti\u200bAminah", "tak terlihat"),
        ("full_name", "   ", "tidak boleh kosong"),
        ("birth_place", "=Depok", "harus diawali huruf"),
        ("birth_place", "De\u2066pok", "pengatur arah teks"),
        ("address", "Jl. Margonda\nRaya", "karakter kendali"),
        ("address", "Jl. \u202eMargonda", "pengatur arah teks"),
        ("occupation", "Guru\x00", "karakter kendali"),
    ],
)
async def test_a_refused_name_or_text_is_a_422_naming_the_field_without_the_value(
    tmp_path, field, value, rule
):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        r = await reg.post("/volunteers", NATIONAL, json=volunteer_payload(**{field: value}))
        assert r.status_code == 422, r.text
        [error] = r.json()["errors"]
        assert error["field"] == field
        assert rule in error["message"]
        if value.strip():
            assert value.strip() not in r.text
        assert await reg.sql("SELECT id FROM volunteers") == []


@pytest.mark.parametrize("char", BIDI)
async def test_every_bidi_override_isolate_and_mark_is_refused_in_names(tmp_path, char):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        r = await reg.post("/volunteers", NATIONAL, json=volunteer_payload(full_name=f"Si{char}ti"))
        assert r.status_code == 422
        assert "pengatur arah teks" in r.json()["errors"][0]["message"]


async def test_names_are_stored_trimmed_and_in_nfc(tmp_path):
    decomposed = unicodedata.normalize("NFD", "Zoë Ñurhaliza")
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        body = volunteer_payload(full_name=f"  {decomposed}\u00a0", birth_place=" Depok ")
        r = await reg.post("/volunteers", NATIONAL, json=body)
        assert r.status_code == 201, r.text
        assert r.json()["full_name"] == "Zoë Ñurhaliza"
        assert r.json()["full_name"] == unicodedata.normalize("NFC", "Zoë Ñurhaliza")
        assert r.json()["birth_place"] == "Depok"


async def test_a_correction_is_held_to_the_same_name_rules(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        created = (await reg.post("/volunteers", NATIONAL, json=volunteer_payload())).json()
        r = await reg.client.patch(
            f"/volunteers/{created['id']}",
            json={"full_name": "=cmd|' /C calc'!A0"},
            headers=reg.headers(NATIONAL),
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "full_name"


async def test_an_imported_row_with_a_formula_name_is_reported_per_row(tmp_path):
    good, bad = volunteer_payload(), volunteer_payload(full_name="=1+1")
    columns = ["nik", "full_name", "birth_date", "sex", "village_code"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerow([good[c] for c in columns])
    writer.writerow([bad[c] for c in columns])
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        r = await reg.post("/volunteers/imports", NATIONAL, content=out.getvalue().encode())
        report = r.json()
        assert (report["imported"], report["invalid"]) == (1, 1)
        errors = (await reg.get(report["errors_url"], NATIONAL)).text
        [row] = list(csv.DictReader(io.StringIO(errors)))
        assert (row["Baris"], row["Kolom"]) == ("3", "Nama")
        assert row["Alasan"].startswith("harus diawali huruf")
        assert "=1+1" not in errors
