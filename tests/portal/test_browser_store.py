"""The store in a real browser (Debian's Chromium through Playwright): a
listing edited in both languages with screenshots and release notes reaches
the public page, F-Droid (read back by fdroidserver), getApkInfo and v7; every
public page and the dashboard fit a 390 px phone without sideways scrolling
and have no serious or critical axe-core violation, in both languages.
Screenshots at 390 px and 1280 px go to test-artifacts/screenshots/."""

from __future__ import annotations

import hashlib
import io
import runpy
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from PIL import Image

from apkdepot.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.conftest import needs_tool, unavailable
from tests.helpers import wait_for
from tests.portal.test_browser import SCREENSHOTS, browser, live  # noqa: F401 - the shared fixtures

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "org.apkdepot.alpha"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
MAX_COOKIE_NOTICE_PX = 110  # of an 844 px phone screen

pytestmark = [needs_tool("chromium"), needs_tool("jarsigner")]


@pytest.fixture(scope="module")
def axe_source() -> str:
    fetch = runpy.run_path(str(ROOT / "scripts" / "fetch-axe"))["fetch"]
    try:
        return fetch().read_text("utf-8")
    except (RuntimeError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        unavailable("the npm registry (scripts/fetch-axe)", str(error))


def _png(path: Path, size: tuple[int, int], color: tuple[int, int, int]) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def _log_in(page) -> None:
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(DEMO_EMAIL)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Dev Token").wait_for()


def _dev_token(base: str) -> str:
    passhash = hashlib.sha1(DEMO_PASSWORD.encode()).hexdigest()
    return httpx.post(base + "/webservices/2/checkUserCredentials",
                      data={"user": DEMO_EMAIL, "passhash": passhash}).json()["token"]


def test_a_listing_edited_in_the_browser_reaches_every_client(live, browser, tmp_path):
    import fdroidserver.common
    import fdroidserver.index

    base, _ = live
    context = browser.new_context(base_url=base, locale="en-US", viewport=PHONE)
    page = context.new_page()
    _log_in(page)
    page.goto("/dashboard/stores/demo")
    page.locator("tr", has_text=PACKAGE).first.get_by_role("link", name="Edit the listing").click()
    page.get_by_label("Name (at most 50 characters)").fill("Alpha Notes")
    page.get_by_label("Summary (at most 80 characters)").fill("Notes that stay")
    page.get_by_label("Description (Markdown").fill("Write **fast**, find *everything*.")
    page.get_by_label("What's new in").fill("First release")
    page.get_by_label("License (SPDX").fill("MIT")
    page.get_by_label("Add phone screenshots").set_input_files(
        [str(_png(tmp_path / "one.png", (540, 960), (11, 110, 79))), str(_png(tmp_path / "two.png", (540, 960), (9, 9, 99)))])
    page.get_by_role("button", name="Save the listing").click()
    page.get_by_text("Saved.").wait_for()
    assert page.locator("ul.screenshots img").count() == 2
    page.screenshot(path=str(_shot("listing-editor-390")), full_page=True)

    page.get_by_role("link", name="pt-BR").click()
    page.get_by_label("Name (at most 50 characters)").fill("Notas Alfa")
    page.get_by_label("Summary (at most 80 characters)").fill("Notas que ficam")
    page.get_by_label("What's new in").fill("Primeira versão")
    page.get_by_label("Add phone screenshots").set_input_files(str(_png(tmp_path / "pt.png", (540, 960), (200, 20, 20))))
    page.get_by_role("button", name="Save the listing").click()
    page.get_by_text("Saved.").wait_for()

    # The public page, in Portuguese, once the next index version is out.
    wait_for(lambda: "Notas Alfa" in httpx.get(f"{base}/stores/demo/{PACKAGE}?lang=pt-BR").text,
             "the public page to show the Portuguese listing")
    page.goto(f"/stores/demo/{PACKAGE}?lang=pt-BR")
    assert page.get_by_role("heading", name="Notas Alfa").is_visible()
    assert page.get_by_text("Primeira versão").is_visible()
    assert page.locator("ul.screenshots img[loading=lazy]").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(_shot("app-page-pt-390")), full_page=True)
    page.goto(f"/stores/demo/{PACKAGE}?lang=en")
    assert page.locator("ul.screenshots img").count() == 2 and page.get_by_text("**fast**").count() == 0
    assert page.locator(".description strong").inner_text() == "fast"
    context.close()

    # F-Droid, read back with F-Droid's own tooling.
    fdroidserver.common.config = {"jarsigner": shutil.which("jarsigner")}
    token = _dev_token(base)
    card = httpx.get(base + "/api/stores/demo", headers={"Authorization": f"Bearer {token}"}).json()["store"]["fdroid"]
    index, _ = fdroidserver.index.download_repo_index_v2(card["url"])
    metadata = index["packages"][PACKAGE]["metadata"]
    assert metadata["name"]["pt-BR"] == "Notas Alfa" and metadata["summary"]["en-US"] == "Notes that stay"
    assert len(metadata["screenshots"]["phone"]["en-US"]) == 2 and len(metadata["screenshots"]["phone"]["pt-BR"]) == 1
    shot = metadata["screenshots"]["phone"]["pt-BR"][0]
    served = httpx.get(f"{base}/fdroid/demo/repo{shot['name']}")
    assert hashlib.sha256(served.content).hexdigest() == shot["sha256"]
    newest = max(index["packages"][PACKAGE]["versions"].values(), key=lambda v: v["manifest"]["versionCode"])
    listing = httpx.get(f"{base}/api/stores/demo/apps/{PACKAGE}/listing",
                        headers={"Authorization": f"Bearer {token}"}).json()["listing"]
    code = str(newest["manifest"]["versionCode"])
    assert newest["whatsNew"] == listing["release_notes"][code] == {"en-US": "First release", "pt-BR": "Primeira versão"}

    # The Aptoide web services and v7.
    info = httpx.get(f"{base}/webservices/2/getApkInfo/demo/{PACKAGE}/json", params={"token": token,
                                                                                    "lang": "pt_BR"}).json()
    assert info["meta"]["title"] == "Notas Alfa" and len(info["media"]["sshots_hd"]) == 1
    meta = httpx.get(f"{base}/api/7/app/getMeta/package_name={PACKAGE}/store_name=demo").json()["data"]
    assert meta["name"] == "Alpha Notes" and len(meta["media"]["screenshots"]) == 2
    assert meta["media"]["description"].startswith("Write fast")


def _shot(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


PUBLIC_PAGES = ["/", "/signup", "/login", "/forgot", "/terms", "/privacy", "/search?q=alpha", "/stores/demo",
                "/stores/demo?q=beta", f"/stores/demo/{PACKAGE}", "/fdroid/demo/repo", "/webservices/docs/",
                "/webservices/docs/listRepositoryChange", "/webservices/docs/uploadAppToRepo",
                "/webservices/docs/7/app/getMeta", "/webservices/docs/errors", "/webservices/docs/app-list",
                "/webservices/docs/protocol", "/no-such-page"]
DASHBOARD_PAGES = ["/dashboard", "/dashboard/stores/demo", f"/dashboard/stores/demo/apps/{PACKAGE}/listing",
                   "/dashboard/token/regenerate"]


def _check(page, path: str, lang: str, axe_source: str, failures: list[str]) -> None:
    page.set_viewport_size(PHONE)
    separator = "&" if "?" in path else "?"
    page.goto(f"{path}{separator}lang={lang}")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width[0] > width[1]:
        failures.append(f"{path} ({lang}): {width[0]} px wide in a {width[1]} px window")
    notice = page.locator(".cookie-notice")
    if notice.count() and notice.bounding_box()["height"] > MAX_COOKIE_NOTICE_PX:
        failures.append(f"{path} ({lang}): the cookie notice covers {notice.bounding_box()['height']:.0f} px")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source)
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                          ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
                          ".map(v => v.id + ': ' + v.help + ' — ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))")
    failures += [f"{path} ({lang}) {v}" for v in found]
    name = path.strip("/").replace("/", "_").replace("?", "_").replace("=", "-") or "home"
    page.screenshot(path=str(_shot(f"{name}-{lang}-390")), full_page=True)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(_shot(f"{name}-{lang}-1280")), full_page=True)


def test_every_page_fits_a_phone_and_has_no_serious_accessibility_problem(live, browser, axe_source):
    base, _ = live
    failures: list[str] = []
    for lang in ("en", "pt-BR"):
        context = browser.new_context(base_url=base, viewport=PHONE, bypass_csp=True)  # to inject axe-core
        page = context.new_page()
        for path in PUBLIC_PAGES:
            _check(page, path, lang, axe_source, failures)
        _log_in_any(page)
        for path in DASHBOARD_PAGES:
            _check(page, path, lang, axe_source, failures)
        context.close()
    assert failures == [], "\n".join(failures)


def _log_in_any(page) -> None:
    """The log-in form in whichever language the page is in."""
    page.goto("/login?lang=en")
    _log_in(page)


def test_searching_and_the_former_dead_ends_in_the_browser(live, browser):
    base, _ = live
    context = browser.new_context(base_url=base, locale="en-US", viewport=PHONE)
    page = context.new_page()
    # Search a store, then every store.
    page.goto("/stores/demo")
    page.get_by_label("Search this store").fill("BETA")
    page.get_by_role("button", name="Search").click()
    page.get_by_text("Results for “BETA”: 1").wait_for()
    assert page.locator("li.tile").count() == 1 and "org.apkdepot.beta" in page.locator("li.tile a").get_attribute("href")
    page.get_by_role("link", name="Search all stores").click()
    page.get_by_label("App name, package or words from its description").fill("alph")
    page.get_by_role("button", name="Search").click()
    page.get_by_text("Results for “alph”: 1").wait_for()
    assert page.locator("li.tile a").get_attribute("href") == f"/stores/demo/{PACKAGE}"
    # The sign-up form: business fields only for business accounts, terms that open,
    # and a language switch after an error that gives the page, not JSON.
    page.goto("/signup")
    assert not page.get_by_label("Business name").is_visible()
    page.get_by_label("Business", exact=True).check()
    assert page.get_by_label("Business name").is_visible()
    assert page.get_by_role("link", name="terms of use", exact=True).get_attribute("href") == "/terms"
    page.get_by_role("button", name="JOIN NOW").click()
    page.locator("#e-email").wait_for()
    page.get_by_role("link", name="Português (Brasil)").click()
    page.get_by_role("heading", name="Novo usuário?").wait_for()
    assert page.url.endswith("/signup?lang=pt-BR")
    # Addresses that are not pages are pages saying so.
    response = page.goto("/no-such-page?lang=en")
    assert response.status == 404 and page.get_by_role("heading", name="Not found").is_visible()
    response = page.goto("/signup/email")  # a form's address, opened on its own
    assert response.status == 405 and response.headers["content-type"].startswith("text/html")
    assert page.get_by_role("link", name="Go to /signup").is_visible()
    context.close()
