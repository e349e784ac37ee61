"""The console in a real browser: what an operator sees is what their scope allows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.builders import BEKASI_VILLAGE, DEPOK_VILLAGE, make_nik, volunteer_payload
from tests.console.browser import ConsoleStack, console_stack, screenshot

# subprocess too: Chromium is another process (kept out of `make unit`)
pytestmark = [pytest.mark.browser, pytest.mark.subprocess]

DEPOK = "depok@dinsos.go.id"
BEKASI = "bekasi@dinsos.go.id"
ADMIN = "pusat@kemensos.go.id"


@pytest_asyncio.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ConsoleStack]:
    async with console_stack(tmp_path_factory.mktemp("console")) as s:
        await s.account(DEPOK, "regency_operator", "32.76")
        await s.account(BEKASI, "regency_operator", "32.75")
        await s.account(ADMIN, "national_admin", "national")
        yield s


def depok_person(name: str) -> dict[str, Any]:
    return volunteer_payload(full_name=name)


def bekasi_person(name: str) -> dict[str, Any]:
    return volunteer_payload(
        full_name=name, village_code=BEKASI_VILLAGE, nik=make_nik(region="327501")
    )


async def test_a_regency_operator_sees_only_their_regencys_psm(stack: ConsoleStack):
    await stack.register(depok_person("Dewi Lestari"), scope="32.76")
    await stack.register(bekasi_person("Bambang Sutrisno"), scope="32.75")
    async with stack.page() as page:
        await stack.sign_in(page, DEPOK)
        await screenshot(page, "dasbor-kabupaten")
        await page.goto(stack.url + "/psm")
        table = await page.inner_text("#psm")
        assert "Dewi Lestari" in table
        assert "Bambang Sutrisno" not in table
        assert "3276********" in table  # the NIK masked
        await screenshot(page, "psm-daftar")


async def test_another_regencys_person_page_is_a_not_found_page(stack: ConsoleStack):
    bekasi_id = await stack.register(bekasi_person("Rahmat Hidayat"), scope="32.75")
    async with stack.page() as page:
        await stack.sign_in(page, DEPOK)
        response = await page.goto(f"{stack.url}/psm/{bekasi_id}")
        assert response is not None and response.status == 404
        body = await page.inner_text("main")
        assert "tidak ditemukan" in body
        assert "Rahmat" not in await page.content()
        await screenshot(page, "tidak-ditemukan")


async def test_a_registration_with_a_bad_field_shows_the_field_error_in_indonesian(
    stack: ConsoleStack,
):
    async with stack.page() as page:
        await stack.sign_in(page, DEPOK)
        await page.goto(stack.url + "/psm/baru")
        good = depok_person("Sri Wahyuni")
        await page.fill("#f-nik", good["nik"])
        await page.fill("#f-full_name", "Sri Wahyuni")
        await page.fill("#f-birth_date", good["birth_date"])
        await page.check("input[name=sex][value=L]")
        await page.fill("#f-village_code", "99.99.99.9999")  # no such village
        await page.click("main button[type=submit]")
        error = page.locator("#e-village_code")
        await error.wait_for()
        assert await page.get_attribute("#f-village_code", "aria-invalid") == "true"
        message = await error.inner_text()
        assert message and "village" not in message.lower()  # said in Indonesian
        await screenshot(page, "psm-baru-kesalahan")
        await page.fill("#f-village_code", DEPOK_VILLAGE)
        await page.click("main button[type=submit]")
        await page.wait_for_url(f"{stack.url}/psm/*?ok=1")
        assert await page.inner_text("h1") == "Sri Wahyuni"
        assert "****" in await page.inner_text("#nik")
        await screenshot(page, "psm-data")


async def test_an_import_with_bad_rows_reports_them_for_download(
    stack: ConsoleStack, tmp_path: Path
):
    rows = [
        "nik,full_name,birth_date,sex,village_code",
        f"{make_nik()},Ani Suryani,1990-05-17,L,{DEPOK_VILLAGE}",
        "123,Budi Santoso,1990-05-17,L,32.76.01.1006",
        f"{make_nik()},Citra Kirana,1990-05-17,X,{DEPOK_VILLAGE}",
    ]
    async with stack.page() as page:
        await stack.sign_in(page, DEPOK)
        await page.goto(stack.url + "/impor")
        await screenshot(page, "impor")
        await page.set_input_files(
            "#f-file",
            files=[{"name": "psm.csv", "mimeType": "text/csv", "buffer": "\n".join(rows).encode()}],
        )
        await page.click("main button[type=submit]")
        await page.locator("#import-result").wait_for()
        assert await page.inner_text("#imported") == "1"
        assert await page.inner_text("#invalid") == "2"
        await screenshot(page, "impor-hasil")
        async with page.expect_download() as info:
            await page.click("text=Unduh laporan kesalahan")
        download = await info.value
        path = tmp_path / "report.csv"
        await download.save_as(path)
        report = path.read_text(encoding="utf-8-sig")
        assert report.count("\n") >= 2
        assert "Budi" not in report  # row numbers and reasons, never the rows' values


async def test_an_excel_file_with_indonesian_columns_imports_and_its_report_can_leave_out_registered_rows(
    stack: ConsoleStack, tmp_path: Path
):
    known = make_nik()
    await stack.register(volunteer_payload(full_name="Dewi Anggraini", nik=known), scope="32.76")
    rows = [
        "No;NIK;Nama Lengkap;Tgl. Lahir;Jenis Kelamin;Kode Desa",
        f"1;{make_nik()};André Pétrus;17-05-1990;Laki-laki;{DEPOK_VILLAGE}",
        f"2;{known};Dewi Anggraini;17-05-1990;L;{DEPOK_VILLAGE}",
        f"3;123;Budi Santoso;17-05-1990;Laki-laki;{DEPOK_VILLAGE}",
    ]
    windows_csv = ("\r\n".join(rows) + "\r\n").encode("cp1252")  # Excel "CSV (Comma delimited)"
    async with stack.page() as page:
        await stack.sign_in(page, DEPOK)
        await page.goto(stack.url + "/impor")
        await page.set_input_files(
            "#f-file", files=[{"name": "psm.csv", "mimeType": "text/csv", "buffer": windows_csv}]
        )
        await page.click("main button[type=submit]")
        await page.locator("#import-result").wait_for()
        assert await page.inner_text("#imported") == "1"
        assert await page.inner_text("#registered") == "1"
        async with page.expect_download() as info:
            await page.click("#report-new")
        path = tmp_path / "new-errors.csv"
        await (await info.value).save_as(path)
        report = path.read_text(encoding="utf-8-sig")
        assert report.splitlines()[0].startswith("Baris")  # the operator's language
        lines = [line for line in report.splitlines()[1:] if line.strip()]
        assert [line.split(",")[0].strip('"') for line in lines] == ["4"], report


async def test_a_national_admin_sees_the_dashboard_numbers_move(stack: ConsoleStack):
    async with stack.page() as page:
        await stack.sign_in(page, ADMIN)
        before = await province_total(page)
        await stack.register(depok_person("Eko Prasetyo"), scope="32.76")
        await page.reload()
        assert await province_total(page) == before + 1
        assert await page.locator("#health").count() == 1  # platform health, admins only
        assert await page.locator("figure.chart svg").count() >= 1
        await screenshot(page, "dasbor-nasional")
        await page.goto(stack.url + "/operator")
        assert DEPOK in await page.inner_text("#operators")
        await screenshot(page, "operator")


async def province_total(page: Any) -> int:
    row = page.locator("#by-status tbody tr", has_text="32")
    return int(await row.locator("td.total").inner_text())


async def test_signing_out_ends_the_session_at_registry_too(stack: ConsoleStack):
    async with stack.page() as page:
        await stack.sign_in(page, DEPOK)
        kept = await page.context.cookies()
        await page.click("text=Keluar")
        await page.wait_for_url(f"{stack.url}/masuk?pesan=keluar")
        await page.goto(stack.url + "/psm")
        assert page.url.startswith(stack.url + "/masuk")
        # The old cookie replayed: registry revoked its tokens at logout.
        await page.context.add_cookies(kept)
        await page.goto(stack.url + "/psm")
        assert page.url.startswith(stack.url + "/masuk")


async def test_a_form_posted_without_its_csrf_token_is_refused(stack: ConsoleStack):
    async with stack.page() as page:
        await stack.sign_in(page, DEPOK)
        await page.goto(stack.url + "/psm/baru")
        await page.evaluate("document.querySelector('main input[name=csrf]').remove()")
        await page.fill("#f-full_name", "Tanpa Token")
        async with page.expect_response(lambda r: r.request.method == "POST") as answer:
            await page.click("main button[type=submit]")
        assert (await answer.value).status == 403
        assert "Formulir kedaluwarsa" in await page.inner_text("main")


async def test_an_idle_session_ends_with_a_notice(stack: ConsoleStack):
    async with stack.page() as page:
        await stack.sign_in(page, DEPOK)
        start = stack.clock.now()
        try:
            stack.clock.advance(timedelta(minutes=31))
            await page.goto(stack.url + "/psm")
            assert page.url == f"{stack.url}/masuk?pesan=habis"
            assert "tidak ada aktivitas" in await page.inner_text("main")
            await screenshot(page, "masuk-sesi-berakhir")
        finally:
            stack.clock.set(start if start > datetime.now(UTC) else datetime.now(UTC))


async def test_the_english_switch_keeps_the_page_and_changes_its_labels(stack: ConsoleStack):
    async with stack.page() as page:
        await stack.sign_in(page, DEPOK)
        await page.goto(stack.url + "/psm")
        await page.click("text=English")
        await page.wait_for_url(stack.url + "/psm")
        assert await page.inner_text("h1") == "PSM list"
        assert "lang=" not in page.url
