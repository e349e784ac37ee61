"""A regency operator runs a Bimtek Dasar in the console, in a real browser: schedule,
enrol, two days of attendance, scores, the completion preview with its reasons, completion,
certificates for the passed only; then the Pesan pages."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Page

from tests.builders import DEPOK_VILLAGE, volunteer_payload
from tests.console.bimtek_helpers import BimtekStack, bimtek_stack, known_to_training
from tests.console.browser import screenshot
from tools.services import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.subprocess]

DEPOK = "depok-bimtek@dinsos.go.id"
# Ani passes; Budi misses day two; Citra's post-test is below the pass mark (60)
PEOPLE = ("Ani Lestari", "Budi Lestari", "Citra Lestari")
SCORES = {"Ani Lestari": ("50", "80"), "Budi Lestari": ("55", "85"), "Citra Lestari": ("40", "55")}
#: what the first scenario leaves for the certificate test
DONE: dict[str, Any] = {}


@pytest_asyncio.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[BimtekStack]:
    async with bimtek_stack(tmp_path_factory.mktemp("bimtek")) as s:
        await s.account(DEPOK, "regency_operator", "32.76")
        yield s


async def submit(page: Page, form: str) -> None:
    await page.click(f"{form} button[type=submit]")
    await page.wait_for_load_state()


async def test_a_regency_operator_runs_a_bimtek_dasar_to_certificates_for_the_passed_only(
    stack: BimtekStack,
):
    ids = {n: await stack.register(volunteer_payload(full_name=n), scope="32.76") for n in PEOPLE}
    await known_to_training(stack, list(ids.values()))
    today = stack.clock.today()
    first, second = today - timedelta(days=9), today - timedelta(days=8)
    async with stack.page() as page:
        await stack.sign_in(page, DEPOK)
        await page.goto(stack.url + "/bimtek/baru")
        await page.select_option("#f-course_code", "BIMTEK-DASAR")
        await page.fill("#f-organiser_agency", "Dinas Sosial Kota Depok")
        await page.fill("#f-venue_name", "Aula Baleka lt. 10")
        await page.fill("#f-venue_village_code", DEPOK_VILLAGE)
        await page.fill("#f-start_date", second.isoformat())
        await page.fill("#f-end_date", first.isoformat())  # before the start: refused
        await page.fill("#f-capacity", "30")
        await page.fill("#f-speakers", "Narasumber Dinsos Jabar | Dinas Sosial Provinsi Jawa Barat")
        await page.fill("#f-agenda", f"{first} | 08:00-10:00 | Peran PSM | ")
        await page.click("main form button[type=submit]")
        error = page.locator("#e-end_date")
        await error.wait_for()
        assert await page.get_attribute("#f-end_date", "aria-invalid") == "true"
        await screenshot(page, "bimtek-baru-kesalahan")
        await page.fill("#f-start_date", first.isoformat())
        await page.fill("#f-end_date", second.isoformat())
        await page.click("main form button[type=submit]")
        await page.locator("#status").wait_for()
        assert await page.inner_text("#status") == "Draf"
        session_id = await page.evaluate("document.querySelector('#open').form.action")
        session_id = session_id.rsplit("/", 2)[-2]
        session_url = f"{stack.url}/bimtek/{session_id}"

        await page.click("#open")
        await page.wait_for_url(f"{session_url}?ok=bt.done")
        assert await page.inner_text("#status") == "Dibuka"
        await page.fill("#f-name", "Lestari")
        await page.click("form[action$='/cari'] button[type=submit]")
        for name in PEOPLE:
            await page.check(f"label.pick:has-text('{name}') input")
        await screenshot(page, "bimtek-daftar-cari")
        await page.click("#enrol button[type=submit]")
        outcomes = await page.locator("#outcomes").inner_text()
        assert outcomes.count("Terkonfirmasi") == 3, outcomes
        await page.click("#start")
        await page.wait_for_url(f"{session_url}?ok=bt.done")
        assert await page.inner_text("#status") == "Berlangsung"
        await screenshot(page, "bimtek-sesi")

        for day in (first, second):
            await page.goto(f"{session_url}/hadir/{day}")
            # nothing recorded yet: every box unticked, every row marked "belum dicatat"
            assert await page.locator("#attendance input[name=hadir]:checked").count() == 0
            assert await page.locator("#attendance .unrecorded").count() == len(PEOPLE)
            assert await page.locator("#unrecorded").is_visible()
            for name in PEOPLE:
                if not (day == second and name == "Budi Lestari"):
                    await page.check(f"tr:has-text('{name}') input[type=checkbox]")
            await page.click("#attendance button[type=submit]")
            await page.locator("#saved").wait_for()
        # opened again, the sheet shows what training recorded, not a fresh sheet
        await page.goto(f"{session_url}/hadir/{second}")
        box = "tr:has-text('{}') input[type=checkbox]"
        assert await page.is_checked(box.format("Ani Lestari"))
        assert await page.is_checked(box.format("Citra Lestari"))
        assert not await page.is_checked(box.format("Budi Lestari"))
        assert await page.locator("#attendance .unrecorded").count() == 0
        assert await page.locator("#unrecorded").count() == 0
        await screenshot(page, "bimtek-hadir")

        await page.goto(f"{session_url}/nilai")
        for name, (pre, post) in SCORES.items():
            row = page.locator("tr", has_text=name)
            await row.locator("input[name^=pre-]").fill(pre)
            await row.locator("input[name^=post-]").fill(post)
        await page.click("#scores button[type=submit]")
        await page.locator("#saved").wait_for()
        assert (
            await page.locator("tr", has_text="Citra").locator("input[name^=post-]").input_value()
            == "55"
        )
        await screenshot(page, "bimtek-nilai")

        await page.goto(f"{session_url}/kelulusan")
        assert await page.inner_text("#would-pass") == "1"
        assert await page.inner_text("#would-fail") == "2"
        budi = await page.locator("#preview tr", has_text="Budi").inner_text()
        assert "kehadiran 1 dari 2 hari" in budi
        citra = await page.locator("#preview tr", has_text="Citra").inner_text()
        assert "nilai post-test 55 (batas lulus 60)" in citra
        await screenshot(page, "bimtek-kelulusan")
        await page.click("#complete button[type=submit]")
        await page.wait_for_url(f"{session_url}?ok=bt.done")
        assert await page.inner_text("#status") == "Selesai"
        certificates = await page.inner_text("#certificates")
        assert "Ani Lestari" in certificates
        assert "Budi" not in certificates and "Citra" not in certificates
        assert (
            await page.get_attribute("#print-all", "href") == f"/bimtek/{session_id}/sertifikat.pdf"
        )
        await screenshot(page, "bimtek-sertifikat")
        DONE.update(session_url=session_url, holder="Ani Lestari", volunteer_id=ids["Ani Lestari"])

        await page.goto(f"{session_url}/pesan")
        await page.locator("#messages").wait_for()
        await screenshot(page, "pesan-sesi")
        await page.goto(f"{stack.url}/bimtek/kalender?bulan={first:%Y-%m}")
        assert "PSM Dasar" in await page.inner_text("#calendar")
        await screenshot(page, "bimtek-kalender")
        await page.goto(f"{stack.url}/bimtek")
        assert "Selesai" in await page.inner_text("#sessions")
        await screenshot(page, "bimtek-daftar")


async def test_a_viewer_sees_the_persons_bimtek_on_the_person_page(stack: BimtekStack):
    from services.console.certificate_pdf import MONTHS

    if not DONE:
        pytest.skip("the Bimtek scenario did not complete")
    viewer = "depok-peninjau@dinsos.go.id"
    await stack.account(viewer, "viewer", "32.76")
    async with stack.page() as page:
        await stack.sign_in(page, viewer)
        await page.goto(f"{stack.url}/psm/{DONE['volunteer_id']}")
        region = page.locator("div.table-wrap[role=region][aria-label='Bimtek yang diikuti']")
        row = region.locator("#enrolments tbody tr")
        assert await row.count() == 1
        text = await row.inner_text()
        assert "Terkonfirmasi" in text and "Lulus" in text and "Dasar" in text, text
        assert any(f" {month} " in text for month in MONTHS), text
        session_path = DONE["session_url"].removeprefix(stack.url)
        assert await row.locator("a").get_attribute("href") == session_path
        await screenshot(page, "psm-bimtek-diikuti")


async def test_a_broadcast_shows_its_recipients_before_it_is_sent(stack: BimtekStack):
    await stack.register(volunteer_payload(full_name="Dewi Anggraini"), scope="32.76")
    async with stack.page() as page:
        await stack.sign_in(page, DEPOK)
        await page.goto(stack.url + "/pesan/siaran")
        await page.fill("#f-message", "Rapat PSM hari Jumat pukul 09.00 di kantor kelurahan.")
        await page.click("#compose button[type=submit]")
        recipients = page.locator("#recipients")
        await recipients.wait_for()
        count = int(re.sub(r"\D", "", await recipients.inner_text()))
        assert count >= 1
        await screenshot(page, "pesan-siaran-pratinjau")
        await page.click("#send")
        await page.wait_for_url(re.compile(r".*/pesan/siaran\?dikirim=\d+"))
        assert f"{count} orang" in await page.inner_text("#sent")
        assert "Rapat PSM" in await page.inner_text("#broadcasts")
        await screenshot(page, "pesan-siaran")


def certificate_routes_landed() -> bool:
    pages = ROOT / "services" / "console" / "pages"
    code = "".join(p.read_text() for p in pages.glob("*.py") if not p.name.startswith("bimtek"))
    return "sertifikat.pdf" in code and "/verifikasi/" in code


@pytest.mark.skipif(not certificate_routes_landed(), reason="certificate PDFs not on main yet")
async def test_the_printed_certificate_names_the_holder_and_its_qr_opens_the_verification(
    stack: BimtekStack, tmp_path: Any
):
    import io

    import pypdf
    import zxingcpp
    from PIL import Image

    if not DONE:
        pytest.skip("the Bimtek scenario did not complete")
    async with stack.page() as page:
        await stack.sign_in(page, DEPOK)
        await page.goto(DONE["session_url"])
        async with page.expect_download() as info:
            await page.click("#print-all")
        download = await info.value
        path = tmp_path / "sertifikat.pdf"
        await download.save_as(path)
    reader = pypdf.PdfReader(path)
    text = "".join(p.extract_text() or "" for p in reader.pages)
    assert DONE["holder"] in text
    images = [img for p in reader.pages for img in p.images]
    found = [
        r.text
        for img in images
        for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(img.data)).convert("L"))
    ]
    verify = [u for u in found if u.startswith(stack.url + "/verifikasi/")]
    assert verify, found
    async with stack.page() as signed_out:
        response = await signed_out.goto(verify[0])
        assert response is not None and response.status == 200
        body = await signed_out.inner_text("main")
        assert "berlaku" in body.lower() or "valid" in body.lower()
        await screenshot(signed_out, "verifikasi")
