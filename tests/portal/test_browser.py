"""The portal in a real browser: Debian's Chromium driven by Playwright,
against a live server that mails through an SMTP server on loopback.
Screenshots of the main pages go to test-artifacts/screenshots/."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest

from tests.conftest import needs_tool
from tests.helpers import FIXTURES, wait_for
from tests.test_mail import Inbox, free_port
from tests.test_server import start_server

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

pytestmark = needs_tool("chromium")


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    tmp = tmp_path_factory.mktemp("browser")
    os.environ["APKDEPOT_SMTP_URL"] = f"smtp://127.0.0.1:{smtp.port}"
    try:
        process, base = start_server(tmp / "data", tmp / "server.log", workers=1)
    finally:
        del os.environ["APKDEPOT_SMTP_URL"]
    yield base, inbox
    process.terminate()
    process.wait(timeout=20)
    smtp.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"])
        yield chromium
        chromium.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def wait_for_mail(inbox: Inbox, count: int) -> str:
    wait_for(lambda: len(inbox.messages) >= count, "the confirmation mail")
    return inbox.messages[count - 1].get_payload(decode=True).decode()


def test_the_whole_developer_journey(live, browser):
    base, inbox = live
    context = browser.new_context(base_url=base, locale="en-US", accept_downloads=False)
    page = context.new_page()

    # Sign up with invalid fields: each message appears at its field.
    page.goto("/signup")
    shot(page, "signup")
    page.get_by_label("Business", exact=True).check()
    page.get_by_label("Email", exact=True).fill("not-an-address")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Business name").fill("B" * 45)
    page.get_by_role("button", name="JOIN NOW").click()
    assert page.locator("#e-email").inner_text() == "Please insert an email address"
    assert page.locator("#e-password").inner_text().startswith("Password must:")
    assert page.locator("#e-name").inner_text() == "Please insert a name"
    assert page.locator("#e-business_name").inner_text() == "Business Name should be smaller than 40 characters."
    assert page.locator("#e-company_name").inner_text() == "Please insert a company name."
    assert page.locator("#e-phone").inner_text() == "Please insert a valid phone number."
    assert page.locator("#e-accept_terms").inner_text() == "You must agree with terms of use."
    assert page.get_by_label("Email", exact=True).get_attribute("aria-describedby") == "e-email"
    shot(page, "signup-errors")

    # Sign up properly.
    page.get_by_label("Personal").check()
    page.get_by_label("Name", exact=True).fill("Browser Dev")
    page.get_by_label("Email", exact=True).fill("browser@example.com")
    page.get_by_label("Password", exact=True).fill("browser-pass1")
    # A personal account is not asked for business fields (they are hidden, and ignored).
    assert not page.get_by_label("Business name").is_visible()
    page.get_by_label("I agree with the terms of use").check()
    page.get_by_role("button", name="RETRY").click()
    page.get_by_text("You're one step closer to becoming an ApkDepot developer!").wait_for()
    assert page.locator("#sent-to").inner_text() == "browser@example.com"
    shot(page, "signup-sent")

    # The confirmation mail, read from the SMTP server, and its link.
    body = wait_for_mail(inbox, 1)
    link = re.search(r"(http://\S+/confirm\?token=\S+)", body).group(1)
    page.goto(link)
    page.get_by_text("Your email address is confirmed.").wait_for()

    # Log in.
    page.get_by_role("link", name="Log in", exact=True).first.click()
    page.get_by_label("Email").fill("browser@example.com")
    page.get_by_label("Password").fill("browser-pass1")
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("Hello, Browser Dev").wait_for()
    page.get_by_text("Reveal the dev token").click()
    old_token = page.locator("#dev-token").inner_text().strip()
    assert len(old_token) == 40
    shot(page, "dashboard")

    # Create a store and upload two APKs, watching the progress reach 100%.
    page.get_by_label("Store name").fill("browser-shop")
    page.get_by_label("Description").fill("Made in a browser")
    page.get_by_role("button", name="Create a store").click()
    page.get_by_text("The store was created.").wait_for()
    page.set_input_files("#f-apk", [str(FIXTURES / "alpha-2.apk"), str(FIXTURES / "beta-10.apk")])
    page.get_by_role("button", name="Upload", exact=True).click()
    # (No page-side script: the portal's Content-Security-Policy forbids eval, rightly.)
    page.locator("#upload-results .outcome.notice").nth(1).wait_for(timeout=30000)
    bars = page.locator("#upload-results progress")
    assert bars.count() == 2 and [bars.nth(i).get_attribute("value") for i in range(2)] == ["100", "100"]
    outcomes = page.locator("#upload-results .outcome").all_inner_texts()
    assert "org.apkdepot.alpha 1.1 (2)" in outcomes[0] and "org.apkdepot.beta 2.0-beta (10)" in outcomes[1]
    # The published versions list follows without reloading the page.
    page.locator("#versions tr", has_text="org.apkdepot.beta").wait_for()
    assert page.locator("#versions tr", has_text="org.apkdepot.alpha").count() == 1
    shot(page, "upload")

    # Both on the public store page and in info.xml (the index is built within a second).
    wait_for(lambda: "org.apkdepot.beta" in httpx.get(base + "/repo/browser-shop/info.xml").text,
             "the uploads to reach info.xml")
    page.goto("/stores/browser-shop")
    assert page.get_by_role("link", name="Beta & Co <b>").is_visible()
    assert page.get_by_role("link", name="Alpha").is_visible()
    shot(page, "store-page")

    # Regenerate the dev token: the old one is refused by the web services at once.
    page.goto("/dashboard")
    page.get_by_role("link", name="Regenerate the dev token").click()
    page.get_by_role("button", name="Yes, regenerate it").click()
    page.get_by_text("Your dev token was regenerated.").wait_for()
    page.get_by_text("Reveal the dev token").click()
    new_token = page.locator("#dev-token").inner_text().strip()
    assert new_token != old_token
    check = f"{base}/webservices/2/listRepositoryChange/browser-shop/{'0' * 32}/json"
    assert httpx.get(check, params={"token": old_token}).json()["errors"][0]["code"] == "IARG-2"
    assert httpx.get(check, params={"token": new_token}).json()["status"] == "OK"

    # Create an API token (shown once), use it, revoke it.
    page.get_by_label("Token name").fill("reports")
    page.get_by_role("button", name="Create an API token").click()
    api_token = page.locator("#api-token").inner_text().strip()
    assert len(api_token) > 700
    shot(page, "api-token")
    assert httpx.get(base + "/api/mng/apps", headers={"Authorization": f"Bearer {api_token}"}).status_code == 200
    page.get_by_role("link", name="Back to the dashboard").click()
    row = page.locator("#api-tokens tr", has_text="reports")
    assert api_token not in page.content()
    # Revoking asks first: dismissed, nothing happens; accepted, the token is revoked.
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    row.get_by_role("button", name="Revoke").click()
    assert asked and "reports" in asked[0]
    assert page.locator("#api-tokens tr", has_text="reports").get_by_text("active").is_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    page.get_by_text("The API token was revoked.").wait_for()
    assert page.locator("#api-tokens tr", has_text="reports").get_by_text("revoked").is_visible()
    assert httpx.get(base + "/api/mng/apps", headers={"Authorization": f"Bearer {api_token}"}).status_code == 401

    # Switch to Portuguese: the choice is remembered across pages.
    page.get_by_role("link", name="Português (Brasil)").click()
    page.get_by_text("Olá, Browser Dev").wait_for()
    assert page.get_by_role("link", name="Painel").is_visible()
    page.goto("/webservices/docs/listRepositoryChange")
    page.get_by_text("Recuperar se um Repositório possui Atualizações para um dado Hash").first.wait_for()
    assert page.get_by_text("Este endpoint está depreciada. Veja:").is_visible()
    shot(page, "docs-pt")
    page.get_by_role("button", name="Entendi").click()
    assert page.locator(".cookie-notice").count() == 0
    context.close()
