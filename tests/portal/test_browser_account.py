"""Account security in a real browser (Debian's Chromium through Playwright):
log in without the second factor, set it up from the key the page shows, and
log in again with it (and with a recovery code), in a phone-sized window."""

from __future__ import annotations

import time

import pyotp

from apkdepot.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.conftest import needs_tool
from tests.portal.test_browser import browser, live, shot  # noqa: F401 - the shared fixtures

pytestmark = needs_tool("chromium")


def _password_step(page) -> None:
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(DEMO_EMAIL)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_second_factor_set_up_and_log_in_in_the_browser(live, browser):
    base, _ = live
    context = browser.new_context(base_url=base, locale="en-US", viewport={"width": 390, "height": 844})
    page = context.new_page()

    # Without the second factor: the password alone.
    _password_step(page)
    page.get_by_role("heading", name="Dev Token").wait_for()
    page.get_by_role("link", name="Account security").click()
    page.get_by_role("button", name="Set up the second factor").click()
    page.locator("svg.qr").wait_for()
    key = page.locator("#totp-key").inner_text().strip()
    shot(page, "second-factor-setup-phone")
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Turn the second factor on").click()
    assert page.locator("#e-otp").inner_text() == "That code is not right, or it was used already."
    assert page.locator("#totp-key").inner_text().strip() == key  # the same key, shown again
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(key).at(time.time() - 30))
    page.get_by_role("button", name="Turn the second factor on").click()
    recovery = [item.inner_text() for item in page.locator("#recovery-codes li").all()]
    assert len(recovery) == 10
    shot(page, "second-factor-recovery-codes-phone")
    page.get_by_role("button", name="Log out").click()

    # With it: the password, then the code.
    _password_step(page)
    page.get_by_role("heading", name="Second factor").wait_for()
    assert "apkdepot_session" not in {c["name"] for c in context.cookies()}
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Dev Token").wait_for()
    page.get_by_role("button", name="Log out").click()

    # A recovery code instead of the app's code, once.
    _password_step(page)
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(recovery[0])
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Dev Token").wait_for()
    page.goto("/dashboard/account")
    assert "Recovery codes left: 9" in page.locator("#second-factor").inner_text()
    context.close()
