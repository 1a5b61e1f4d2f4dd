"""axe-core (npm's, installed by `make browser` into tests/browser/axe/) in a real Chromium: no
critical and no serious violation on every portal page and on the admin's main desks, at 1440 px
and on a 390 px phone, and none of them scrolls sideways. To check one more page, add its address
to PORTAL_PAGES or ADMIN_PAGES. Screenshots: test-output/screenshots/axe-*.png."""

from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from claims.choices import ClaimStatus as S
from tests.world import World

from .portal import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"critical", "serious"}
PAGE_FITS = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
SCREENS = {"desk": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}

# Each is (a name for the screenshot, the address: a string or a function of the world's records).
PORTAL_PAGES = [
    ("home", "portal:home"),
    ("claims", "portal:claims"),
    ("claim", lambda w: reverse("portal:claim", args=[w.claims[S.RECEIPT_DISPUTED].claim_id])),
    ("claim-awaiting-receipt", lambda w: reverse("portal:claim", args=[w.claims[S.AWAITING_RECEIPT].claim_id])),
    ("refunds", "portal:refunds"),
    ("policies", "portal:policies"),
    ("policy", lambda w: reverse("portal:policy", args=[w.claims[S.REFUNDED].policy.policy_no])),
    ("ledger", "portal:ledger"),
    ("statement", "portal:statement"),
    ("invoices", "portal:invoices"),
    ("invoice-request", "portal:invoice_request"),
    ("enrolment", "portal:enrolment"),
    ("shop", "portal:shop"),
    ("notices", "portal:notices"),
]
ADMIN_PAGES = [
    ("today", "admin:index"),
    ("queue", "admin:backoffice_queuedclaim_changelist"),
    ("review-desk", lambda w: reverse("admin:claims_claim_change", args=[w.claims[S.SUBMITTED].pk])),
    ("claims", "admin:claims_claim_changelist"),
    ("figures", "admin:figures"),
    ("at-risk-board", "admin:claims_reviewerprofile_board"),
]


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        pytest.fail("axe-core is not installed: `make browser` installs it (npm install in tests/browser/axe)")
    return AXE.read_text()


@pytest.fixture
def browser_context_args(browser_context_args):
    # axe is injected as a script, which the pages' Content-Security-Policy would refuse.
    return {**browser_context_args, "locale": "en-US", "bypass_csp": True}


@pytest.fixture
def world():
    world = World()
    world.claims = {state: world.in_state(state) for state in (S.SUBMITTED, S.AWAITING_RECEIPT, S.REFUNDED)}
    world.claims[S.RECEIPT_DISPUTED] = world.in_state(S.RECEIPT_DISPUTED)
    world.refund(world.delivered_order(), reason="no_longer_needed")
    return world


def _address(world, where):
    return where(world) if callable(where) else reverse(where)


def serious_violations(page, axe_source):
    page.add_script_tag(content=axe_source)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['impact']} {v['id']}: {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


def _audit(page, base, world, pages, axe_source, screenshot, prefix):
    found = {}
    for screen, viewport in SCREENS.items():
        page.set_viewport_size(viewport)
        for name, where in pages:
            page.goto(base + _address(world, where))
            expect(page.locator("h1").first).to_be_visible()
            screenshot(f"axe-{prefix}-{name}-{screen}")
            if problems := serious_violations(page, axe_source):
                found[f"{screen} {name}"] = problems
            # Wide tables scroll inside their own box: the page itself never scrolls sideways.
            if not page.evaluate(PAGE_FITS):
                found.setdefault(f"{screen} {name}", []).append("the page scrolls sideways")
    return found


def test_portal_pages_have_no_serious_accessibility_violations(page, live_server, world, axe_source, screenshot):
    sign_in(page, live_server.url, "merchant")
    assert _audit(page, live_server.url, world, PORTAL_PAGES, axe_source, screenshot, "portal") == {}


def test_admin_desks_have_no_serious_accessibility_violations(page, live_server, world, axe_source, screenshot):
    page.goto(f"{live_server.url}/admin/")
    page.locator("#id_username").fill("supervisor")
    page.locator("#id_password").fill("pw-for-tests-1")
    page.locator("input[type=submit]").click()
    expect(page.locator("#site-name")).to_be_visible()
    found = _audit(page, live_server.url, world, ADMIN_PAGES, axe_source, screenshot, "admin")
    assert found == {}
