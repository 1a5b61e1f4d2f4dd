"""What people read is words, not codes (issue 16): the portal's and the admin's main pages show no
rule id ("R-REV-3"), no stored code ("leaking_water_or_power", "return_in_transit") and no event
name ("claim.decided") in their visible text. Rule ids stay in code, logs and the API's `message`.

The pages are rendered by the test client over a world with a claim in every state, a request the
merchant handles and a refused bulk action; the visible text is what a browser shows (no tags,
attributes, scripts or styles)."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from catalogue.models import Plan
from claims.choices import ClaimStatus as S
from claims.models import Claim

RULE_ID = re.compile(r"\bR-[A-Z]+-\d+\b")
# A stored code: lower-case words joined by underscores (states, reasons, problem codes, flags).
CODE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
# An event's name, as notices and webhooks call it.
EVENT = re.compile(r"\b(?:claim|policy|invoice|payout|enrolment)\.[a-z_]+\b")


class VisibleText(HTMLParser):
    """The text a browser shows, the notices on the portal's home page included (rendered per
    reader from the event since issue 16 item 3, they carry no codes either)."""

    HIDDEN = {"script", "style", "template", "head"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__()
        self.depth, self.parts, self.open = 0, [], []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        hidden = tag in self.HIDDEN
        self.open.append(hidden)
        self.depth += hidden

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.open:
            self.depth -= self.open.pop()

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def visible_text(response):
    assert response.status_code == 200, (response.request["PATH_INFO"], response.status_code)
    parser = VisibleText()
    parser.feed(response.content.decode())
    return " ".join(parser.parts)


def codes_in(text):
    # A plan's code is its identifier, shown beside shop and claim ids, not a code to put in words.
    identifiers = set(Plan.objects.values_list("code", flat=True))
    found = RULE_ID.findall(text) + CODE.findall(text) + EVENT.findall(text)
    return sorted(set(found) - identifiers)


def signed_in(client, user):
    """The test client as `user`, asking for English so that the assertions read the source strings."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(user)
    return client


@pytest.fixture
def many_states(world):
    claims = {state: world.in_state(state) for state in S if state != S.PAID}
    world.refund(world.delivered_order(), reason="no_longer_needed")  # left with the merchant (R-ROUTE-2)
    return claims


PORTAL_PAGES = (
    "portal:home",
    "portal:claims",
    "portal:refunds",
    "portal:policies",
    "portal:ledger",
    "portal:statement",
    "portal:invoices",
    "portal:invoice_request",
    "portal:enrolment",
    "portal:shop",
)


def test_portal_pages_show_words_not_rule_ids_or_codes(client, world, many_states):
    merchant_client = signed_in(client, world.merchant_user)
    urls = [reverse(name) for name in PORTAL_PAGES]
    urls += [reverse("portal:claim", args=[claim.claim_id]) for claim in many_states.values()]
    urls.append(reverse("portal:policy", args=[many_states[S.REFUNDED].policy.policy_no]))
    found = {url: codes_in(visible_text(merchant_client.get(url))) for url in urls}
    assert {url: codes for url, codes in found.items() if codes} == {}
    refunds = visible_text(merchant_client.get(reverse("portal:refunds")))
    assert "reason not covered" in refunds


ADMIN_PAGES = (
    "admin:index",
    "admin:claims_claim_changelist",
    "admin:figures",
)


@pytest.mark.parametrize("who", ["supervisor_user", "staff_user"])
def test_admin_pages_show_words_not_rule_ids_or_codes(client, world, many_states, who):
    client = signed_in(client, getattr(world, who))
    urls = [reverse(name) for name in ADMIN_PAGES]
    # The review queue is the insurer's; the refund requests as routed are the platform's.
    urls.append(
        reverse(
            "admin:backoffice_queuedclaim_changelist"
            if who == "supervisor_user"
            else "admin:claims_refundrequest_changelist"
        )
    )
    urls += [reverse("admin:claims_claim_change", args=[claim.pk]) for claim in many_states.values()]
    found = {url: codes_in(visible_text(client.get(url))) for url in urls}
    assert {url: codes for url, codes in found.items() if codes} == {}


def test_a_refused_bulk_action_says_why_in_words(client, world, many_states):
    """A bulk request for evidence on claims that are past review: each refusal names the claim and
    its state in words, without the transition's or the state's code."""
    client = signed_in(client, world.supervisor_user)
    closed = many_states[S.REJECTED]
    response = client.post(
        reverse("admin:claims_claim_changelist"),
        {
            "action": "request_evidence",
            "_selected_action": [closed.pk],
            "index": "0",
            "confirm": "yes",
            "reason": "请补充照片",
        },
        follow=True,
    )
    text = visible_text(response)
    assert f"{closed.claim_id}: not done: Not possible while the claim is “Rejected”." in text
    assert codes_in(text) == []
    assert Claim.objects.get(pk=closed.pk).status == S.REJECTED
