"""Accessibility basics of the console, in a real browser on a phone-sized screen (390×844):
axe-core (npm, `make axe`) finds no serious or critical WCAG 2 A/AA violation on any page,
no page scrolls sideways, and an operator signs in and reaches the PSM list with the
keyboard alone."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Page
from sqlalchemy import text

from tests.builders import DEPOK_VILLAGE, auth_headers, make_nik, volunteer_payload
from tests.console.bimtek_helpers import BimtekStack, bimtek_stack, known_to_training
from tests.console.browser import PASSWORD
from tools.services import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.subprocess]

AXE = ROOT / "tests" / "console" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
DEPOK = "a11y.depok@dinsos.go.id"
ADMIN = "a11y.pusat@kemensos.go.id"
PEOPLE = ("Ani Rahayu", "Budi Rahayu", "Citra Rahayu")
#: WCAG 2 A/AA and axe's best practices (landmarks, heading order, regions)
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = {"serious", "critical"}
#: an import with one good row and one refused (the result page and its error table)
BAD_ROWS = (
    "nik,full_name,birth_date,sex,village_code\n"
    f"{make_nik()},Dedi Rahayu,1990-05-17,L,{DEPOK_VILLAGE}\n"
    "123,Eka Rahayu,1990-05-17,L,32.76.01.1006\n"
).encode()

#: what a page gives axe and the layout check
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(" ")).slice(0, 5),
  }));
}"""
SIDEWAYS = "document.documentElement.scrollWidth - window.innerWidth"
#: links, buttons and fields taken out of the Tab order
UNTABBABLE = """Array.from(document.querySelectorAll(
  "a[href], button, input:not([type=hidden]), select, textarea"))
  .filter(e => e.tabIndex < 0 && !e.disabled).map(e => e.outerHTML.slice(0, 80))"""


@dataclass
class Visited:
    """What each page showed the checks, by name."""

    violations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    overflow: dict[str, int] = field(default_factory=dict)
    untabbable: dict[str, list[str]] = field(default_factory=dict)


async def check(page: Page, name: str, seen: Visited) -> None:
    """Run axe and the layout checks on the page as it is now."""
    await page.wait_for_load_state()
    await page.add_script_tag(path=str(AXE))
    seen.violations[name] = await page.evaluate(RUN_AXE, TAGS)
    seen.overflow[name] = int(await page.evaluate(SIDEWAYS))
    seen.untabbable[name] = await page.evaluate(UNTABBABLE)


async def training_call(stack: BimtekStack, method: str, url: str, body: Any = None) -> Any:
    """training's API as Depok's operator (setting up a session without the browser)."""
    app = stack.training_app
    headers = auth_headers(app, role="regency_operator", scope="32.76")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://training"
    ) as client:
        r = await client.request(method, url, json=body, headers=headers)
    assert r.status_code in (200, 201), r.text
    return r.json()


async def session_in_progress(stack: BimtekStack, ids: list[str]) -> tuple[str, list[str]]:
    """A two-day Bimtek Dasar that has started, three enrolled: (id, enrolment ids)."""
    today = stack.clock.today()
    first, second = today - timedelta(days=9), today - timedelta(days=8)
    body = {
        "course_code": "BIMTEK-DASAR",
        "organiser_agency": "Dinas Sosial Kota Depok",
        "organiser_region_code": "32.76",
        "venue_name": "Aula Baleka lt. 10",
        "venue_village_code": "32.76.01.1006",
        "start_date": first.isoformat(),
        "end_date": second.isoformat(),
        "capacity": 30,
        "speakers": [{"name": "Narasumber Dinsos", "institution": "Dinas Sosial Jawa Barat"}],
        "agenda": [{"day": first.isoformat(), "time": "08:00-10:00", "topic": "Peran PSM"}],
    }
    session_id = (await training_call(stack, "POST", "/sessions", body))["id"]
    await training_call(stack, "POST", f"/sessions/{session_id}/open")
    outcomes = await training_call(
        stack, "POST", f"/sessions/{session_id}/enrolments/bulk", {"volunteer_ids": ids}
    )
    enrolments = [o["enrolment_id"] for o in outcomes]
    await training_call(stack, "POST", f"/sessions/{session_id}/start")
    for day in (first, second):
        marks = [{"enrolment_id": e, "status": "present"} for e in enrolments]
        if day == second:
            marks[1]["status"] = "absent"
        await training_call(
            stack, "PUT", f"/sessions/{session_id}/attendance/{day}", {"marks": marks}
        )
    scores = [
        {"enrolment_id": e, "pre_score": 50, "post_score": post}
        for e, post in zip(enrolments, (80, 85, 55), strict=True)
    ]
    await training_call(stack, "PUT", f"/sessions/{session_id}/scores", {"scores": scores})
    return session_id, enrolments


async def a_verification_code(stack: BimtekStack) -> str:
    """The code of one certificate training issued (what a QR code carries)."""
    runtime = stack.training_app.state.runtime
    async with runtime.read_sessionmaker() as s:
        return str((await s.execute(text("SELECT verification_code FROM certificates"))).scalar())


@pytest_asyncio.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[BimtekStack]:
    async with bimtek_stack(tmp_path_factory.mktemp("a11y")) as s:
        await s.account(DEPOK, "regency_operator", "32.76")
        await s.account(ADMIN, "national_admin", "national")
        yield s


async def sign_in(stack: BimtekStack, page: Page, email: str) -> None:
    await page.goto(stack.url + "/masuk")
    await page.fill("#f-email", email)
    await page.fill("#f-password", PASSWORD)
    await page.click("main button[type=submit]")
    await page.wait_for_url(stack.url + "/dasbor")


@pytest_asyncio.fixture(scope="module")
async def visited(stack: BimtekStack) -> Visited:
    """Every console page, visited once as the right user on a phone; what the checks saw."""
    ids = [await stack.register(volunteer_payload(full_name=n), scope="32.76") for n in PEOPLE]
    await known_to_training(stack, ids)
    session_id, _ = await session_in_progress(stack, ids)
    session = f"{stack.url}/bimtek/{session_id}"
    first = stack.clock.today() - timedelta(days=9)
    seen = Visited()

    async def visit(page: Page, name: str, path: str) -> None:
        response = await page.goto(stack.url + path)
        assert response is not None and response.status < 500, (name, path)
        await check(page, name, seen)

    async def submit(
        page: Page, name: str, form: str, before: Callable[[], Awaitable[Any]]
    ) -> None:
        await before()
        await page.click(f"{form} button[type=submit]")
        await check(page, name, seen)

    async with stack.page() as page:  # no one signed in: the public pages
        await visit(page, "masuk", "/masuk")
        await page.fill("#f-email", DEPOK)
        await page.fill("#f-password", "salah-sandi-sekali")
        await page.click("main button[type=submit]")
        await check(page, "masuk-gagal", seen)
        await visit(page, "verifikasi", "/verifikasi")
        await visit(page, "verifikasi-salah", "/verifikasi?kode=!!")
        await visit(page, "verifikasi-tidak-ditemukan", "/verifikasi/ZZZZZZZZZZ")
        await visit(page, "tautan", "/v/" + "x" * 32)
        await page.click("main button[type=submit]")
        await check(page, "tautan-habis", seen)

    async with stack.page() as page:
        await sign_in(stack, page, ADMIN)
        await check(page, "dasbor-nasional", seen)
        await visit(page, "operator", "/operator")
        await visit(page, "psm-nasional", "/psm")

    async with stack.page() as page:
        await sign_in(stack, page, DEPOK)
        await check(page, "dasbor-kabupaten", seen)
        await visit(page, "psm-daftar", "/psm")
        await visit(page, "psm-data", f"/psm/{ids[0]}")
        await visit(page, "tidak-ditemukan", f"/psm/{uuid.uuid4()}")
        await visit(page, "psm-baru", "/psm/baru")
        await submit(
            page,
            "psm-baru-kesalahan",
            "main form",
            lambda: page.fill("#f-village_code", "99.99.99.9999"),
        )
        await visit(page, "impor", "/impor")
        await page.set_input_files(
            "#f-file",
            files=[{"name": "psm.csv", "mimeType": "text/csv", "buffer": BAD_ROWS}],
        )
        await page.click("main button[type=submit]")
        await page.locator("#import-result").wait_for()
        await check(page, "impor-hasil", seen)
        await visit(page, "bimtek-daftar", "/bimtek")
        await visit(page, "bimtek-kalender", f"/bimtek/kalender?bulan={first:%Y-%m}")
        await visit(page, "bimtek-baru", "/bimtek/baru")
        await submit(page, "bimtek-baru-kesalahan", "main form", page.wait_for_load_state)
        await visit(page, "bimtek-sesi", f"/bimtek/{session_id}")
        await visit(page, "bimtek-hadir", f"/bimtek/{session_id}/hadir/{first}")
        await visit(page, "bimtek-nilai", f"/bimtek/{session_id}/nilai")
        await visit(page, "bimtek-kelulusan", f"/bimtek/{session_id}/kelulusan")
        await page.click("#complete button[type=submit]")
        await page.wait_for_url(f"{session}?ok=bt.done")
        await check(page, "bimtek-sertifikat", seen)
        await visit(page, "pesan-sesi", f"/bimtek/{session_id}/pesan")
        await visit(page, "pesan-siaran", "/pesan/siaran")
        await submit(
            page,
            "pesan-siaran-pratinjau",
            "#compose",
            lambda: page.fill("#f-message", "Rapat PSM hari Jumat pukul 09.00."),
        )
        await visit(page, "verifikasi-sah", f"/verifikasi/{await a_verification_code(stack)}")
    return seen


def report(found: dict[str, Any]) -> str:
    return "\n".join(f"  {page}: {what}" for page, what in found.items())


async def test_no_console_page_has_a_serious_or_critical_accessibility_violation(
    visited: Visited,
):
    assert len(visited.violations) >= 30, sorted(visited.violations)
    found = {
        page: [f"{v['id']} ({v['impact']}) {v['targets']}" for v in vs if v["impact"] in BLOCKING]
        for page, vs in visited.violations.items()
    }
    found = {page: vs for page, vs in found.items() if vs}
    assert not found, "axe violations (rule, impact, elements):\n" + report(found)


async def test_no_console_page_scrolls_sideways_on_a_phone(visited: Visited):
    wider = {page: f"{extra}px wider" for page, extra in visited.overflow.items() if extra > 0}
    assert not wider, "pages wider than a 390 px screen:\n" + report(wider)


async def test_every_link_button_and_field_is_in_the_tab_order(visited: Visited):
    found = {page: els for page, els in visited.untabbable.items() if els}
    assert not found, "taken out of the Tab order:\n" + report(found)


async def tab_to(page: Page, selector: str, *, limit: int = 30) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"{selector} never took the focus with Tab")


async def test_an_operator_signs_in_and_opens_the_psm_list_with_the_keyboard_alone(
    stack: BimtekStack,
):
    async with stack.page() as page:
        await page.goto(stack.url + "/masuk")
        await page.keyboard.press("Tab")  # the first stop: the skip link, shown when focused
        skip = page.locator("a.skip")
        assert await page.evaluate("document.activeElement.classList.contains('skip')")
        assert await skip.is_visible() and await skip.inner_text() == "Langsung ke isi"
        box = await skip.bounding_box()
        assert box is not None and box["x"] >= 0 and box["y"] >= 0  # on the screen
        outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"  # the focus can be seen
        await page.keyboard.press("Enter")
        await page.keyboard.press("Tab")  # after the skip, the next stop is inside <main>
        assert await page.evaluate("!!document.activeElement.closest('main')")
        await tab_to(page, "#f-email")
        await page.keyboard.type(DEPOK)
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.id") == "f-password"
        await page.keyboard.type(PASSWORD)
        await page.keyboard.press("Enter")
        await page.wait_for_url(stack.url + "/dasbor")
        await tab_to(page, "a[href='/psm']")
        await page.keyboard.press("Enter")
        await page.wait_for_url(stack.url + "/psm")
        assert await page.inner_text("h1") == "Daftar PSM"
