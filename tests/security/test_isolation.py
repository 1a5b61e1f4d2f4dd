"""The isolation matrix: every API endpoint, portal view and admin screen, for each role of another
tenant, on objects of shop-a and demo-insurer: 404 (or no access at all), and no page or list
ever shows them (domain.md §1, api.md: "exactly as if it did not exist").

The cases are generated from the URL resolver: a new view whose parameters the matrix does not
know, or a new admin model it has not been told about, fails the first test below."""

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from accounts import invitations
from audit import chain
from audit.models import ChainHead, Disclosure, TransitionLog
from audit.services import disclose
from catalogue.models import Holiday
from claims import packs
from claims import services as claims
from claims.choices import ClaimStatus as S
from claims.models import Appeal, MerchantReport, NonPerformanceFinding, ReceiptDispute
from claims.services.assignment import add_profile
from integrations.models import WebhookDelivery
from integrations.services import issue_client
from kernel.actors import Role
from ledger.models import Entry
from merchants import services as merchants
from merchants.models import ShopChange
from notices.models import Notice
from payments.choices import MismatchKind
from payments.models import Mismatch, ReconciliationDay
from policies import services as policies
from reports.periods import Period
from reports.services import make_bordereaux
from tests.factories import member

pytestmark = pytest.mark.django_db


@dataclass
class Route:
    name: str  # namespace:name ("admin:" for the admin's unnamed redirects)
    route: str
    params: tuple


def routes():
    def walk(patterns, prefix="", namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            else:
                route = prefix + str(pattern.pattern)
                params = tuple(re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route))
                yield Route(namespace + (pattern.name or ""), route, tuple(a or b for a, b in params))

    return list(walk(get_resolver().url_patterns))


# Pages that show no tenant's object: sign-in and out, translations, the schema, the catch-alls.
NO_TENANT_DATA = {
    "api:problem-codes": "a plan's problem codes: reference data, the same for every client (R-PLAN-1)",
    "admin:login": "sign-in",
    "admin:logout": "sign-out",
    "admin:password_change": "the viewer's own password",
    "admin:password_change_done": "the viewer's own password",
    "admin:jsi18n": "translations",
    "admin:autocomplete": "no autocomplete field targets a tenant's model (tested below)",
    "portal:login": "sign-in",
    "portal:logout": "sign-out",
    "portal:notices_read": "marks the viewer's own notices read",
    "portal:join": "a sign-up link: the token stands for one invitation (tests/portal/test_onboarding.py)",
    "portal:password_reset": "Django's password reset: the viewer's own login",
    "portal:password_reset_done": "Django's password reset: the viewer's own login",
    "portal:password_reset_confirm": "Django's password reset: the token stands for one login",
    "portal:password_reset_complete": "Django's password reset: the viewer's own login",
    "set_language": "a cookie",
    "api-schema": "the schema",
    "api-docs": "the schema",
    "api:orders": "POST only, platform only (403 tested below)",
    "api:order-events": "POST only, platform only (403 tested below)",
}
# Reference data every staff role reads: not a tenant's.
SHARED_MODELS = {"catalogue.insurer", "catalogue.plan", "catalogue.problemcode", "catalogue.holiday", "audit.dailyroot"}


def disclosure_of(obj, field, actor):
    disclose(obj, field, actor, reason="核对打款账户")
    return Disclosure.objects.latest("pk")


class TenantA:
    """shop-a's and demo-insurer's world: claims in several states with their evidence, a policy,
    refund requests, an invoice, a report, a finding, an appeal, notices, ledger entries, a shop
    change, an API client with its webhook deliveries. Everything another tenant must not see."""

    def __init__(self, world):
        now = world.now
        self.client, _key = issue_client(
            "shop-a-erp", role="merchant", shop_id=world.shop.shop_id, webhook_url="https://erp.shop-a.example/hooks"
        )
        self.disputed = world.in_state(S.RECEIPT_DISPUTED, buyer="buyer-a-1")
        self.appealed = world.in_state(S.UNDER_APPEAL, buyer="buyer-a-2")
        self.paid = world.in_state(S.PAID, buyer="buyer-a-3")
        self.submitted = world.claim(buyer="buyer-a-4")
        overturned = world.in_state(S.RECEIPT_DISPUTED, buyer="buyer-a-5")
        claims.resolve_receipt_dispute(overturned, world.staff, outcome="overturn", note="物流照片不符", now=now)
        self.report = claims.report_buyer(world.merchant, note="反复退款", claim=self.submitted, now=now)
        self.unrouted = world.refund(world.delivered_order(buyer="buyer-a-6"), reason="no_longer_needed")
        self.invoice = policies.request_invoice(
            world.shop,
            world.insurer,
            world.merchant,
            period_start=now - dt.timedelta(days=60),
            period_end=now,
            now=now,
        )
        merchants.update_shop_details(world.shop, world.staff, return_phone="13912345678", now=now)
        month = Period.of(now)
        [self.bordereau] = [
            b
            for b in make_bordereaux(month, now=month.ends_at + dt.timedelta(days=1))
            if b.insurer_id == world.insurer.pk and b.kind == "claims"
        ]
        self.enrolment = world.enrolment
        packs.download_pack(self.paid, world.reviewer)
        self.pack_download = self.paid.pack_downloads.get()
        sign_in = {
            "username": world.merchant_user.username,
            "ip_address": "198.51.100.7",
            "user_agent": "phone",
            "path_info": "/portal/login/",
            "attempt_time": now,
        }
        # R-PAY-7: a day whose bill lacked shop-a's transfer (staff only: it spans every tenant).
        attempt = self.paid.payout_attempts.first()
        self.reconciliation = Mismatch.objects.create(
            day=ReconciliationDay.objects.create(day=dt.date(2026, 11, 30)),
            kind=MismatchKind.MISSING_AT_PROVIDER,
            out_biz_no=attempt.out_biz_no,
            attempt=attempt,
            our_amount=attempt.amount,
            our_payee=attempt.payee,
            found_at=now,
        )
        # R-ASSIGN-1: the reviewer's profile, off duty (the claims above stay as they are).
        self.profile = add_profile(world.reviewer_user.pk, world.supervisor, on_duty=False, capacity=5)
        # R-AUTH-1: an approval above the reviewer's limit, waiting for a second person.
        limit = world.limits["reviewer"]
        limit.approve_alone_up_to, kept = Decimal("50.00"), limit.approve_alone_up_to
        limit.save()
        waiting_claim = world.claim(buyer="buyer-a-7")
        claims.decide(waiting_claim, "approve", world.reviewer, problem_code="performance_fault", now=now)
        self.pending = claims.waiting(waiting_claim)
        limit.approve_alone_up_to = kept
        limit.save()
        self.claims = [self.disputed, self.appealed, self.paid, self.submitted, overturned, waiting_claim]
        self.objects = {
            "claims.claim": self.disputed,
            "backoffice.queuedclaim": self.submitted,
            "claims.buyer": self.paid.buyer,
            "claims.refundrequest": self.paid.refund_request,
            "claims.receiptdispute": ReceiptDispute.objects.get(claim=self.disputed),
            "claims.appeal": Appeal.objects.get(claim=self.appealed),
            "claims.nonperformancefinding": NonPerformanceFinding.objects.get(claim=overturned),
            "claims.merchantreport": MerchantReport.objects.get(pk=self.report.pk),
            "claims.reviewerprofile": self.profile,
            "claims.authoritylimit": limit,
            "claims.pendingdecision": self.pending,
            "audit.transitionlog": TransitionLog.objects.filter(object_id=self.paid.pk).last(),
            "accounts.membership": world.merchant_user.membership,
            "accounts.invitation": invitations.invite(world.shop, "colleague-a@example.com", world.staff),
            "auth.user": world.merchant_user,
            "auth.group": world.merchant_user.groups.first() or world.reviewer_user.groups.first(),
            "merchants.enrolment": world.enrolment,
            "merchants.shop": world.shop,
            "merchants.shopchange": ShopChange.objects.filter(shop=world.shop).first(),
            "policies.suborder": self.paid.sub_order,
            "policies.policy": self.paid.policy,
            "policies.invoice": self.invoice,
            "ledger.entry": Entry.objects.filter(claim=self.paid).first(),
            "payments.payoutattempt": self.paid.payout_attempts.first(),
            "payments.reconciliationday": self.reconciliation.day,
            "payments.mismatch": self.reconciliation,
            "reports.bordereau": self.bordereau,
            "notices.notice": Notice.objects.filter(shop=world.shop).first(),
            "integrations.apiclient": self.client,
            "integrations.webhookdelivery": WebhookDelivery.objects.filter(client=self.client).first(),
            "audit.disclosure": disclosure_of(world.shop, "payout_account", world.staff),
            "audit.chainhead": ChainHead.objects.get(chain=f"claim:{self.paid.pk}"),
            "audit.packdownload": self.pack_download,
            # shop-a's merchant signing in: personal data of that tenant too.
            "axes.accesslog": AccessLog.objects.create(**sign_in),
            "axes.accessattempt": AccessAttempt.objects.create(**sign_in, failures_since_start=1),
            "axes.accessfailurelog": AccessFailureLog.objects.create(**sign_in),
        }
        # Reference data: not tenant A's, but merchants still never reach it in the admin.
        self.shared = {
            "catalogue.insurer": world.insurer,
            "catalogue.plan": world.plan,
            "catalogue.problemcode": world.plan.taxonomy.first(),
            "catalogue.holiday": Holiday.objects.create(date=dt.date(2026, 10, 1), name="国庆节"),
            "audit.dailyroot": chain.make_daily_root(now.date() - dt.timedelta(days=2), now=now)[0],
        }
        self.markers = {
            world.shop.shop_id,
            world.shop.payout_account,
            "13912345678",
            self.invoice.invoice_no,
            self.client.name,
            self.unrouted.refund_id,
            attempt.out_biz_no,
        }
        for claim in self.claims:
            self.markers |= {
                claim.claim_id,
                claim.policy.policy_no,
                claim.refund_request.refund_id,
                claim.sub_order.sub_order_id,
                claim.buyer.buyer_id,
            }

    def leaked(self, response, url=""):
        """Tenant A's identifiers in the answer, beyond the viewer's own request echoed back (a
        redirect's `next`, the language form's return path)."""
        text = response.content.decode(errors="replace") + urlsplit(response.get("Location", "")).path
        text = text.replace(url, "") if url else text
        return sorted(marker for marker in self.markers if marker in text)


@pytest.fixture
def tenant(world):
    return TenantA(world)


def test_every_route_is_in_the_matrix(world, tenant):
    """A new view, parameter or admin model must be taught to the matrix: it cannot be forgotten."""
    untaught = []
    for route in routes():
        if route.name in NO_TENANT_DATA or route.route.startswith("admin/(?P<url>"):
            continue
        for param in route.params:
            if param not in PARAMS:
                untaught.append(f"{route.name} {route.route}: parameter {param}")
    for model in admin.site._registry:
        label = model._meta.label_lower
        if label not in tenant.objects and label not in SHARED_MODELS:
            untaught.append(f"admin model {label}: give TenantA its object, or list it as shared")
    assert untaught == []


def test_no_admin_autocomplete_reaches_a_tenants_model():
    for model_admin in admin.site._registry.values():
        for field in model_admin.autocomplete_fields:
            target = model_admin.model._meta.get_field(field).related_model._meta.label_lower
            assert target == "auth.user", (model_admin, field)


# -- building each route's URL for tenant A's objects ------------------------------------------


def admin_model(route):
    match = re.match(r"admin/(\w+)/(\w+)/", route.route)
    return f"{match.group(1)}.{match.group(2)}" if match else None


PARAMS = {
    "claim_id": lambda t, r: t.disputed.claim_id,
    "policy_no": lambda t, r: t.paid.policy.policy_no,
    "refund_id": lambda t, r: t.paid.refund_request.refund_id,
    "evidence_id": lambda t, r: t.disputed.evidence.first().pk,
    "invoice_no": lambda t, r: t.invoice.invoice_no,
    "pk": lambda t, r: (
        t.disputed.pk
        if "evidence-pack" in r.route
        else t.disputed.evidence.first().pk
        if "evidence" in r.route
        else t.enrolment.pk
    ),
    "object_id": lambda t, r: {**t.objects, **t.shared}[admin_model(r)].pk,
    "id": lambda t, r: (t.bordereau if "bordereaux" in r.route else t.objects["auth.user"]).pk,
    "content_type_id": None,  # admin:view_on_site, built per model below
    "action": None,  # each object action of the model's admin, below
    "app_label": None,  # every app's index, below
    "url": None,  # the admin's catch-all
}


OBJECT_PARAMS = {"object_id", "pk", "id", "content_type_id"}


def urls_for(route, tenant):
    """Every concrete URL of `route` on tenant A's objects (several for actions and apps)."""
    name = route.name
    if name == "admin:view_on_site":
        for obj in tenant.objects.values():
            ct = ContentType.objects.get_for_model(type(obj), for_concrete_model=False)
            yield f"/admin/r/{ct.pk}/{obj.pk}/"
        return
    if name == "admin:app_list":
        for app in {m._meta.app_label for m in admin.site._registry}:
            yield reverse("admin:app_list", args=[app])
        return
    if "action" in route.params:
        model = admin_model(route)
        model_admin = next(a for m, a in admin.site._registry.items() if m._meta.label_lower == model)
        for action in model_admin.object_actions:
            yield model_admin.action_url({**tenant.objects, **tenant.shared}[model], action)
        return
    values = {param: PARAMS[param](tenant, route) for param in route.params}
    if route.route.startswith("api/"):
        path = re.sub(r"\^|\?|\$|/\?", "", route.route)
        for param, value in values.items():
            path = re.sub(rf"\(\?P<{param}>[^)]*\)", str(value), path)
        yield "/" + path.replace("//", "/")
        return
    path = route.route
    for param, value in values.items():
        path = re.sub(rf"<(?:\w+:)?{param}>", str(value), path)
    yield "/" + path


# -- the viewers ----------------------------------------------------------------------------------


def api_viewers(world):
    _c, shop_b = issue_client("shop-b-erp", role="merchant", shop_id=world.other_shop.shop_id)
    _c, other_insurer = issue_client("other-insurer-claims", role="insurer", insurer_code=world.other_insurer.code)
    viewers = {}
    for label, key in (("shop-b merchant client", shop_b), ("other insurer client", other_insurer)):
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        viewers[label] = http
    return viewers


def logged_in(user):
    http = Client(HTTP_ACCEPT_LANGUAGE="en")
    http.force_login(user)
    return http


API_BODIES = {
    "evidence": None,  # multipart, below
    "return-shipment": {"carrier": "SF", "tracking_number": "SF1", "at": "2026-01-01T00:00:00+08:00"},
    "delivered": {},
    "refund-completed": {},
    "appeal": {"reason": "x"},
    "decision": {"outcome": "approve", "problem_code": "performance_fault"},
    "receipt": {"outcome": "confirm"},
    "remind-buyer": {},
}


def test_api_objects_of_another_tenant_are_404_to_every_role(world, tenant):
    cases = 0
    failures = []
    for label, http in api_viewers(world).items():
        for route in routes():
            if not route.name.startswith("api:") or not route.params or route.name in NO_TENANT_DATA:
                continue
            for url in urls_for(route, tenant):
                action = route.name.split(":")[1]
                attempts = [http.get(url)] if action not in API_BODIES else []
                if action in API_BODIES:
                    body = API_BODIES[action]
                    attempts.append(
                        http.post(url, {"note": "x"}, format="multipart")
                        if body is None
                        else http.post(url, body, format="json")
                    )
                for response in attempts:
                    cases += 1
                    if response.status_code not in (403, 404) or tenant.leaked(response, url):
                        failures.append((label, url, response.status_code, tenant.leaked(response, url)))
        for body in (
            {"claim_id": tenant.disputed.claim_id, "note": "x"},
            {"policy_no": tenant.paid.policy.policy_no, "note": "x"},
        ):
            response = http.post("/api/v1/buyer-reports", body, format="json")
            cases += 1
            if response.status_code not in (403, 404) or tenant.leaked(response):
                failures.append((label, "buyer-reports", body, response.status_code))
        for path in ("/api/v1/orders", "/api/v1/order-events"):
            cases += 1
            if http.post(path, {}, format="json").status_code != 403:
                failures.append((label, path, "not 403"))
    assert failures == []
    print(f"\nisolation, API objects: {cases} cases")


def test_api_lists_never_show_another_tenants_objects(world, tenant):
    cases = 0
    for label, http in api_viewers(world).items():
        for path in ("/api/v1/claims", "/api/v1/policies", "/api/v1/refund-requests", "/api/v1/bordereaux"):
            for query in ("", f"?sub_order_id={tenant.paid.sub_order.sub_order_id}", "?limit=500"):
                response = http.get(path + query)
                cases += 1
                assert response.status_code in (200, 403), (label, path, response.status_code)
                assert tenant.leaked(response, path + query) == [], (label, path + query)
    print(f"\nisolation, API lists: {cases} cases")


def test_portal_objects_of_another_shop_are_404_and_no_page_shows_them(world, tenant):
    shop_b = logged_in(member("merchant-b", Role.MERCHANT, shop=world.other_shop))
    cases, failures = 0, []
    for route in routes():
        if not route.name.startswith("portal:") or route.name in NO_TENANT_DATA:
            continue
        for url in urls_for(route, tenant):
            for method in ("get", "post"):
                response = getattr(shop_b, method)(url, {"note": "x", "reason_code": "empty_parcel"})
                cases += 1
                # 405: a POST-only view refuses a GET before looking anything up.
                expected = (404, 405) if route.params else (200, 302, 405)
                if response.status_code not in expected or tenant.leaked(response, url):
                    failures.append((method, url, response.status_code, tenant.leaked(response, url)))
    assert failures == []
    print(f"\nisolation, portal as another shop's merchant: {cases} cases")


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.SUPERVISOR, Role.SERVICE_STAFF])
def test_staff_never_get_into_the_portal(world, tenant, role):
    insurer = world.insurer if role != Role.SERVICE_STAFF else None
    staff = logged_in(member(f"portal-{role}", role, insurer=insurer))
    cases = 0
    for route in routes():
        if not route.name.startswith("portal:") or route.name in NO_TENANT_DATA:
            continue
        for url in urls_for(route, tenant):
            response = staff.get(url)
            cases += 1
            assert response.status_code in (302, 403, 405), (url, response.status_code)
            assert tenant.leaked(response, url) == [], url
    print(f"\nisolation, portal as {role}: {cases} cases")


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.SUPERVISOR])
def test_admin_screens_of_another_insurer_show_nothing_of_it(world, tenant, role):
    """Every admin URL — lists, object pages, history, delete, actions, the evidence view — for
    the other insurer's staff: no access, or a page without any of tenant A's identifiers."""
    viewer = logged_in(member(f"other-{role}", role, insurer=world.other_insurer))
    cases, failures = 0, []
    for route in routes():
        if not route.name.startswith("admin:") or route.name in NO_TENANT_DATA or "(?P<url>" in route.route:
            continue
        model = admin_model(route)
        if model in SHARED_MODELS:
            continue
        for url in urls_for(route, tenant):
            methods = ("get", "post") if route.params and "app_label" not in route.params else ("get",)
            for method in methods:
                response = getattr(viewer, method)(url, {"seen": "x", "note": "x"}, follow=True)
                cases += 1
                landed = response.redirect_chain[-1][0] if response.redirect_chain else url
                on_the_object = OBJECT_PARAMS & set(route.params) and response.status_code == 200 and landed == url
                if on_the_object or response.status_code >= 500 or tenant.leaked(response, url):
                    failures.append((method, url, response.status_code, landed, tenant.leaked(response, url)))
    assert failures == []
    print(f"\nisolation, admin as another insurer's {role}: {cases} cases")


def test_merchants_never_get_into_the_admin(world, tenant):
    merchant = logged_in(world.merchant_user)
    cases = 0
    for route in routes():
        if not route.name.startswith("admin:") or route.name in NO_TENANT_DATA or "(?P<url>" in route.route:
            continue
        for url in urls_for(route, tenant):
            response = merchant.get(url)
            cases += 1
            assert response.status_code == 302 and "/admin/login/" in response["Location"], url
    print(f"\nisolation, admin as a merchant: {cases} cases")


def test_the_matrix_sees_tenant_a_where_tenant_a_may_look(world, tenant):
    """The control: the same identifiers are found on the pages of tenant A's own people, so the
    matrix above would see a leak."""
    own_reviewer = logged_in(world.reviewer_user)
    assert tenant.disputed.claim_id in tenant.leaked(own_reviewer.get(reverse("admin:claims_claim_changelist")))
    assert own_reviewer.get(reverse("admin:claims_claim_change", args=[tenant.disputed.pk])).status_code == 200
    own_merchant = logged_in(world.merchant_user)
    assert tenant.disputed.claim_id in tenant.leaked(own_merchant.get(reverse("portal:claims")))
    _c, key = issue_client("shop-a-erp-2", role="merchant", shop_id=world.shop.shop_id)
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert http.get(f"/api/v1/claims/{tenant.disputed.claim_id}").status_code == 200
    assert tenant.disputed.claim_id in tenant.leaked(http.get("/api/v1/claims?limit=500"))
