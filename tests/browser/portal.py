"""What the portal's browser tests share: a phone, signing in, and the no-sideways-scroll check."""

from playwright.sync_api import expect

PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def sign_in(page, base_url, username):
    page.goto(f"{base_url}/portal/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/portal/")


def fits_the_screen(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
