"""Certificates printed from the console as PDF (the holder's name, read from registry at
print time and audited; a QR code to the public page), and the public verification page."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pypdf
import pytest
import pytest_asyncio
import zxingcpp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from services.console.certificate_pdf import (
    FONT_DIR,
    PrintedCertificate,
    build_pdf,
    fonts_for,
    indonesian_date,
)
from services.console.config import Settings as ConsoleSettings
from services.console.main import create_app as create_console
from services.training.main import create_app as create_training
from services.training.main import seed_courses
from services.training.service import volunteers as training_volunteers
from tests.builders import auth_headers, token_settings, volunteer_payload
from tests.console.browser import ConsoleStack, console_stack, screenshot
from tests.support import migrate, settings_for
from tests.training.helpers import registered, session_body

DEPOK = "cetak.depok@dinsos.go.id"
BEKASI = "cetak.bekasi@dinsos.go.id"


def sample(**overrides: Any) -> PrintedCertificate:
    values: dict[str, Any] = {
        "number": "BIMTEK-DASAR/32.76/2022/000001",
        "holder_name": "Ṣiti Nur'aini Ḥasanah",
        "course_title": "Bimbingan Teknis Dasar PSM",
        "level": "dasar",
        "hours": 16,
        "session_title": "Bimtek Dasar PSM Kota Depok",
        "start_date": date(2022, 6, 6),
        "end_date": date(2022, 6, 7),
        "issuer": "Dinas Sosial Kota Depok",
        "issued_on": date(2022, 6, 7),
        "valid_until": None,
        "display_code": "ABCDE-FGHJK",
        "verify_url": "https://psm.kemensos.go.id/verifikasi/ABCDEFGHJK",
    }
    return PrintedCertificate(**{**values, **overrides})


def pages_of(data: bytes) -> list[pypdf.PageObject]:
    return list(pypdf.PdfReader(io.BytesIO(data)).pages)


def qr_codes(page: pypdf.PageObject) -> list[str]:
    return [b.text for image in page.images for b in zxingcpp.read_barcodes(image.image)]


# --- the PDF builder (fast) -------------------------------------------------------------


def test_a_printed_certificate_carries_the_name_and_a_qr_code_to_the_verification_page():
    [page] = pages_of(build_pdf([sample()]))
    text = page.extract_text()
    assert "Ṣiti Nur'aini Ḥasanah" in text  # diacritics drawn, not dropped
    assert "BIMTEK-DASAR/32.76/2022/000001" in text and "ABCDE-FGHJK" in text
    assert "6 Juni s.d. 7 Juni 2022" in text
    assert "Dinas Sosial Kota Depok" in text and "16 jam pelajaran" in text
    assert qr_codes(page) == ["https://psm.kemensos.go.id/verifikasi/ABCDEFGHJK"]
    width, height = page.mediabox.width, page.mediabox.height
    assert width > height  # A4 landscape


def test_each_certificate_gets_its_own_page_and_qr_code():
    second = sample(holder_name="Budi Santoso", verify_url="https://x.id/verifikasi/ZZZZZYYYYY")
    first, other = pages_of(build_pdf([sample(), second]))
    assert "Budi Santoso" in other.extract_text() and "Budi" not in first.extract_text()
    assert qr_codes(other) == ["https://x.id/verifikasi/ZZZZZYYYYY"]


def test_without_the_dejavu_font_names_are_transliterated_not_lost(tmp_path: Path):
    [page] = pages_of(build_pdf([sample()], font_dir=tmp_path))
    assert "Siti Nur'aini Hasanah" in page.extract_text()
    assert qr_codes(page) == ["https://psm.kemensos.go.id/verifikasi/ABCDEFGHJK"]


def test_indonesian_names_print_with_the_fonts_cut_down_once_per_process():
    fonts = fonts_for([sample(), sample(holder_name="Dèwi Ǎyu Lestari “Ayu”")])
    assert fonts.files is not None and fonts.letters is not None
    assert all(f.parent != FONT_DIR and f.stat().st_size < 200_000 for f in fonts.files.values())
    assert fonts_for([sample()]) is fonts  # cut once, then reused
    assert {ord("Ṣ"), ord("Ḥ"), ord("·")} <= fonts.letters


def test_a_name_in_another_script_prints_with_the_full_fonts():
    name = "Δημήτρης Сергеевич Ṣiti"
    fonts = fonts_for([sample(holder_name=name)])
    assert fonts.files is not None
    assert {f.parent for f in fonts.files.values()} == {FONT_DIR}
    [page] = pages_of(build_pdf([sample(holder_name=name)]))
    assert name in page.extract_text()
    assert qr_codes(page) == ["https://psm.kemensos.go.id/verifikasi/ABCDEFGHJK"]


def test_an_expired_certificate_is_marked_on_the_page():
    [page] = pages_of(build_pdf([sample(valid_until=date(2025, 6, 7), status="expired")]))
    text = page.extract_text()
    assert "berlaku sampai 7 Juni 2025" in text and "MASA BERLAKU TELAH HABIS" in text


def test_dates_are_written_the_indonesian_way():
    assert indonesian_date(date(2022, 6, 7)) == "7 Juni 2022"
    assert indonesian_date(date(2022, 8, 17), "en") == "17 August 2022"


# --- the public page and training's throttle ------------------------------------------


async def test_the_public_page_passes_the_visitors_address_on_so_training_throttles_each_visitor(
    tmp_path: Path,
):
    url = f"sqlite+aiosqlite:///{tmp_path}/t.db"
    await migrate("training", url)
    training = create_training(
        settings_for(
            "training",
            database_url=url,
            bootstrap="127.0.0.1:1",
            public_rate_burst=2,
            public_rate_per_minute=1,
            **token_settings("training"),
        )
    )
    # training as `make run` serves it: uvicorn trusting X-Forwarded-For from loopback
    behind_proxy_headers = ProxyHeadersMiddleware(training, trusted_hosts="127.0.0.1")
    console = create_console(
        ConsoleSettings(environment="test", session_secret="x" * 40, log_format="console"),
        transports={"training": httpx.ASGITransport(app=behind_proxy_headers)},
    )

    async def visit(address: str) -> int:
        transport = httpx.ASGITransport(app=console, client=(address, 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://console") as c:
            return (await c.get("/verifikasi/ZZZZZ-ZZZZZ")).status_code

    try:
        assert [await visit("203.0.113.5") for _ in range(3)] == [404, 404, 429]
        assert await visit("198.51.100.7") == 404  # another visitor has their own budget
    finally:
        await console.state.console.api.close()
        await training.state.runtime.engine.dispose()


# --- in the browser ---------------------------------------------------------------------


@dataclass
class Issued:
    """A session completed at training and the certificate of one of its participants."""

    session_id: str
    certificate: dict[str, Any]
    volunteer_id: str


@pytest_asyncio.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ConsoleStack]:
    async with console_stack(tmp_path_factory.mktemp("certificates")) as s:
        await s.account(DEPOK, "regency_operator", "32.76")
        await s.account(BEKASI, "regency_operator", "32.75")
        await seed_courses(s.training_app.state.service)
        yield s


async def certified(stack: ConsoleStack, *people: dict[str, Any]) -> list[Issued]:
    """People registered at registry, known to training (as registry's events would make
    them), through a two-day Bimtek of Depok that they all pass."""
    ids = [await stack.register(p, scope="32.76") for p in people]
    runtime = stack.training_app.state.runtime
    async with runtime.sessionmaker() as s, s.begin():
        for vid in ids:
            event = registered(volunteer_id=uuid.UUID(vid), status="active")
            await training_volunteers.record_volunteer(s, event, now=datetime.now(UTC))
    today = datetime.now(UTC).date()
    days = [today - timedelta(days=3), today - timedelta(days=2)]
    headers = auth_headers(stack.training_app, role="regency_operator", scope="32.76")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=stack.training_app), base_url="http://training"
    ) as t:

        async def call(method: str, path: str, body: Any = None) -> Any:
            r = await t.request(method, path, json=body, headers=headers)
            assert r.status_code in (200, 201), r.text
            return r.json()

        body = session_body(start_date=days[0].isoformat(), end_date=days[1].isoformat())
        sid = (await call("POST", "/sessions", body))["id"]
        await call("POST", f"/sessions/{sid}/open")
        outcomes = await call("POST", f"/sessions/{sid}/enrolments/bulk", {"volunteer_ids": ids})
        enrolments = [o["enrolment_id"] for o in outcomes]
        await call("POST", f"/sessions/{sid}/start")
        for day in days:
            marks = [{"enrolment_id": e, "status": "present"} for e in enrolments]
            await call("PUT", f"/sessions/{sid}/attendance/{day.isoformat()}", {"marks": marks})
        scores = [{"enrolment_id": e, "pre_score": 50, "post_score": 85} for e in enrolments]
        await call("PUT", f"/sessions/{sid}/scores", {"scores": scores})
        await call("POST", f"/sessions/{sid}/complete")
        issued = []
        for vid in ids:
            [cert] = await call("GET", f"/certificates?volunteer_id={vid}")
            issued.append(Issued(sid, cert, vid))
        return issued


async def revoke(stack: ConsoleStack, certificate_id: str) -> None:
    headers = auth_headers(stack.training_app, role="regency_operator", scope="32.76")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=stack.training_app), base_url="http://training"
    ) as t:
        r = await t.post(
            f"/certificates/{certificate_id}/revoke",
            json={"reason_code": "issued_in_error"},
            headers=headers,
        )
        assert r.status_code == 200, r.text


async def name_reads(stack: ConsoleStack, volunteer_id: str) -> list[dict[str, Any]]:
    r = await stack.registry.get(
        "/audit",
        params={"action": "volunteer.read", "volunteer_id": volunteer_id},
        headers=stack.admin(),
    )
    assert r.status_code == 200, r.text
    return [a for a in r.json() if "certificate_print" in (a["detail"] or "")]


@pytest.mark.browser
@pytest.mark.subprocess
async def test_an_operator_prints_a_named_certificate_whose_qr_opens_the_public_page(
    stack: ConsoleStack,
):
    [issued] = await certified(stack, volunteer_payload(full_name="Siti Aminah Rahayu"))
    cert = issued.certificate
    async with stack.page() as page:
        await stack.sign_in(page, DEPOK)
        r = await page.request.get(f"{stack.url}/sertifikat/{cert['id']}.pdf")
        assert r.status == 200
        assert r.headers["content-type"] == "application/pdf"
        assert r.headers["cache-control"] == "no-store"
        number = cert["number"].replace("/", "-")
        assert r.headers["content-disposition"] == f'attachment; filename="sertifikat-{number}.pdf"'
        [pdf_page] = pages_of(await r.body())
        assert "Siti Aminah Rahayu" in pdf_page.extract_text()
        [url] = qr_codes(pdf_page)
        assert url == f"{stack.url}/verifikasi/{cert['verification_code']}"

    [read] = await name_reads(stack, issued.volunteer_id)
    assert read["detail"] == "names for certificate_print: 1 of 1 asked"
    assert "Siti" not in str(read)

    async with stack.page() as visitor:  # signed out: nobody has a session here
        response = await visitor.goto(url)
        assert response is not None and response.status == 200
        assert await visitor.inner_text("#status") == "Sah"
        assert await visitor.inner_text("#number") == cert["number"]
        main = await visitor.inner_text("main")
        assert "Dinas Sosial Kota Depok" in main and "Siti" not in await visitor.content()
        assert issued.volunteer_id not in await visitor.content()
        await screenshot(visitor, "verifikasi-sah")
        await visitor.click("text=English")
        await visitor.wait_for_url(url)
        assert await visitor.inner_text("#status") == "Valid"


@pytest.mark.browser
@pytest.mark.subprocess
async def test_another_regencys_operator_gets_the_not_found_page_and_reads_no_name(
    stack: ConsoleStack,
):
    [issued] = await certified(stack, volunteer_payload(full_name="Dewi Kartika"))
    async with stack.page() as page:
        await stack.sign_in(page, BEKASI)
        response = await page.goto(f"{stack.url}/sertifikat/{issued.certificate['id']}.pdf")
        assert response is not None and response.status == 404
        assert "tidak ditemukan" in await page.inner_text("main")
    assert await name_reads(stack, issued.volunteer_id) == []


@pytest.mark.browser
@pytest.mark.subprocess
async def test_a_sessions_certificates_print_one_page_each_and_a_missing_name_is_explained(
    stack: ConsoleStack,
):
    people = [
        volunteer_payload(full_name=n) for n in ("Agus Salim", "Rina Marlina", "Yusuf Efendi")
    ]
    issued = await certified(stack, *people)
    sid = issued[0].session_id
    gone = issued[2]
    erased = await stack.registry.post(
        f"/volunteers/{gone.volunteer_id}/erasure",
        headers=auth_headers(stack.registry_app, role="regency_operator", scope="32.76"),
    )
    assert erased.status_code == 204
    async with stack.page() as page:
        await stack.sign_in(page, DEPOK)
        response = await page.goto(f"{stack.url}/bimtek/{sid}/sertifikat.pdf")
        assert response is not None and response.status == 409
        assert await page.inner_text("#missing") == gone.certificate["number"]
        assert "tidak dicetak" in await page.inner_text("#reason")
        await screenshot(page, "sertifikat-nama-tidak-tersedia")
        r = await page.request.get(f"{stack.url}/bimtek/{sid}/sertifikat.pdf?sebagian=1")
        assert r.status == 200 and r.headers["cache-control"] == "no-store"
        pages = pages_of(await r.body())
        holders = [
            [n for n in ("Agus Salim", "Rina Marlina", "Yusuf") if n in p.extract_text()]
            for p in pages
        ]
        assert sorted(holders) == [["Agus Salim"], ["Rina Marlina"]]  # one page each
        codes = {i.certificate["verification_code"] for i in issued[:2]}
        assert {q.rsplit("/", 1)[1] for p in pages for q in qr_codes(p)} == codes


@pytest.mark.browser
@pytest.mark.subprocess
async def test_a_revoked_certificate_is_not_printed_and_verifies_as_revoked(
    stack: ConsoleStack,
):
    [issued] = await certified(stack, volunteer_payload(full_name="Hendra Gunawan"))
    cert = issued.certificate
    await revoke(stack, cert["id"])
    async with stack.page() as page:
        await stack.sign_in(page, DEPOK)
        response = await page.goto(f"{stack.url}/sertifikat/{cert['id']}.pdf")
        assert response is not None and response.status == 409
        assert "DICABUT" in await page.inner_text("#reason")
    assert await name_reads(stack, issued.volunteer_id) == []
    async with stack.page() as visitor:
        await visitor.goto(f"{stack.url}/verifikasi")
        await visitor.fill(
            "#f-kode",
            cert["verification_code"][:5].lower() + "-" + cert["verification_code"][5:].lower(),
        )
        await visitor.click("main button[type=submit]")
        await visitor.wait_for_url(f"{stack.url}/verifikasi/{cert['verification_code']}")
        assert await visitor.inner_text("#status") == "Dicabut"
        assert "Diterbitkan karena kekeliruan" in await visitor.inner_text("#verdict")
        await screenshot(visitor, "verifikasi-dicabut")


@pytest.mark.browser
@pytest.mark.subprocess
async def test_an_unknown_code_gets_a_not_found_page(stack: ConsoleStack):
    async with stack.page() as visitor:
        response = await visitor.goto(f"{stack.url}/verifikasi/ZZZZZ-ZZZZZ")
        assert response is not None and response.status == 404
        assert await visitor.inner_text("h1") == "Sertifikat tidak ditemukan"
        await screenshot(visitor, "verifikasi-tidak-ditemukan")
