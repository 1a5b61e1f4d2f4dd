"""The API's docs page in a real Chromium: Swagger UI loads from our own static files under the
Content-Security-Policy and lists the contract's endpoints. Screenshot: test-output/screenshots/api-docs.png."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_render_under_the_content_security_policy(page, live_server, screenshot):
    refused = []
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    page.on("pageerror", lambda error: refused.append(str(error)))
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.get_by_text("Zhibao integration API").first).to_be_visible()
    expect(page.locator('.opblock-summary-path[data-path="/api/v1/claims/{claim_id}/decision"]')).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/orders").first).to_be_visible()
    screenshot("api-docs")
    assert refused == []
