"""Payouts through the service against raw SDK calls (issue 14): `payout_ratio` = merchant payouts
per second through payments.services.attempts.send (what the Celery task calls, in-process: the
attempt committed `sent` before the call, R-PAY-5/R-PAY-6, then the answer and the claim's
settlement recorded) ÷ bare signed transfer calls per second through DefaultAlipayClient.execute
with the same keys, no database, both to the same stand-in gateway, in interleaved rounds."""

import datetime as dt
import itertools
import statistics
import time
from decimal import Decimal

TARGET = 0.5


def buyer_photo(seed):
    """A small photo of noise, its own for each claim (R-REV-2: approval needs one)."""
    import io
    import random

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = io.BytesIO()
    Image.frombytes("RGB", (64, 64), random.Random(seed).randbytes(64 * 64 * 3)).save(out, "JPEG")
    return SimpleUploadedFile(f"p{seed}.jpg", out.getvalue(), content_type="image/jpeg")


def refunded_claims(count, now):
    """`count` refund-only claims through the services up to `refunded`, each with its merchant
    payout as a committed attempt in `created` (what complete_refund leaves for the task)."""
    from catalogue.models import Insurer
    from claims import services as claims
    from claims.choices import Side
    from kernel.actors import Actor, Channel, Role
    from merchants.models import Shop
    from payments.choices import AttemptKind, AttemptStatus
    from payments.models import PayoutAttempt
    from policies import services as policies

    from . import world as bench_world

    if not Insurer.objects.filter(code="bench-insurer").exists():
        bench_world.build(now)
    insurer = Insurer.objects.get(code="bench-insurer")
    shops = list(Shop.objects.filter(shop_id__startswith="bench-shop-").order_by("shop_id"))
    platform = Actor(role=Role.PLATFORM, channel=Channel.API, label="bench")
    reviewer = Actor(role=Role.REVIEWER, channel=Channel.ADMIN, insurer_id=insurer.pk, label="bench")
    stamp = int(time.time())
    received = now - dt.timedelta(days=5)
    ids = [f"payout-so-{stamp}-{n}" for n in range(count)]
    policies.record_orders(
        [
            {
                "sub_order_id": sub_order_id,
                "order_id": sub_order_id,
                "shop_id": shops[n % len(shops)].shop_id,
                "buyer_id": f"payout-buyer-{n}",
                "product_id": "kettle",
                "warranty_plan": bench_world.PLAN,
                "paid_amount": Decimal("199.00"),
                "placed_at": received - dt.timedelta(days=3),
            }
            for n, sub_order_id in enumerate(ids)
        ],
        platform,
    )
    policies.record_order_events(
        [
            event
            for sub_order_id in ids
            for event in (
                {"sub_order_id": sub_order_id, "type": "shipped", "at": received - dt.timedelta(days=2)},
                {"sub_order_id": sub_order_id, "type": "receipt_confirmed", "at": received},
            )
        ],
        platform,
    )
    for sub_order_id in ids:
        request, _created = claims.submit_refund_request(
            {
                "refund_id": f"rf-{sub_order_id}",
                "sub_order_id": sub_order_id,
                "kind": "refund_only",
                "reason": "quality",
                "amount": Decimal("199.00"),
                "description": "壶底漏水",
                "requested_at": now,
                "buyer_level": "normal",
            },
            platform,
            now=now,
        )
        claim = request.claim
        claims.add_evidence(claim, Side.BUYER, buyer_photo(f"{stamp}-{sub_order_id}"), platform, now=now)
        claims.decide(claim, "approve", reviewer, problem_code="performance_fault", now=now)
        claim.refresh_from_db()
        claims.complete_refund(claim, platform, now=now)
        for item in claim.evidence.all():  # the photos were for the approval only
            item.file.storage.delete(item.file.name)
    return list(
        PayoutAttempt.objects.filter(
            claim__sub_order__sub_order_id__in=ids, kind=AttemptKind.CLAIM_PAYOUT, status=AttemptStatus.CREATED
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def through_service(attempt_ids):
    """Seconds to send these attempts one after the other, as the task does; each must come back
    confirmed by the stand-in and its claim paid."""
    from claims.choices import ClaimStatus
    from claims.models import Claim
    from payments.choices import AttemptStatus
    from payments.services import attempts

    started = time.perf_counter()
    results = [attempts.send(pk) for pk in attempt_ids]
    seconds = time.perf_counter() - started
    if any(result != AttemptStatus.CONFIRMED for result in results):
        raise AssertionError(f"payouts not confirmed: {sorted(set(results))}")
    paid = Claim.objects.filter(payout_attempts__pk__in=attempt_ids, status=ClaimStatus.PAID).count()
    if paid != len(attempt_ids):
        raise AssertionError(f"{len(attempt_ids) - paid} claims not paid")
    return seconds


def raw_client():
    """The SDK's client as the provider configures it: the same keys, app id, gateway, time-out."""
    from alipay.aop.api.AlipayClientConfig import AlipayClientConfig
    from alipay.aop.api.DefaultAlipayClient import DefaultAlipayClient
    from django.conf import settings

    # Its import mends the SDK's connection to a gateway URL with a port (see _http_connection).
    import payments.providers.alipay  # noqa: F401
    from payments.gateway.keys import standin_keys

    keys = standin_keys()
    config = AlipayClientConfig()
    config.app_id = settings.ALIPAY_APP_ID
    config.server_url = settings.ALIPAY_GATEWAY_URL
    config.app_private_key = keys["app_private"]
    config.alipay_public_key = keys["gateway_public"]
    config.sign_type = "RSA2"
    config.timeout = settings.ALIPAY_TIMEOUT
    return DefaultAlipayClient(config)


def raw_calls(client, numbers):
    """Seconds for bare signed transfers under these out_biz_nos: request built, signed, sent,
    the signed answer verified and parsed; no database."""
    from alipay.aop.api.domain.AlipayFundTransUniTransferModel import AlipayFundTransUniTransferModel
    from alipay.aop.api.domain.Participant import Participant
    from alipay.aop.api.request.AlipayFundTransUniTransferRequest import AlipayFundTransUniTransferRequest
    from alipay.aop.api.response.AlipayFundTransUniTransferResponse import AlipayFundTransUniTransferResponse

    started = time.perf_counter()
    for number in numbers:
        model = AlipayFundTransUniTransferModel()
        model.out_biz_no = number
        model.trans_amount = "199.00"
        model.product_code = "TRANS_ACCOUNT_NO_PWD"
        model.biz_scene = "DIRECT_TRANSFER"
        model.order_title = "bench"
        payee = Participant()
        payee.identity = "alipay-bench-raw"
        payee.identity_type = "ALIPAY_LOGON_ID"
        model.payee_info = payee
        response = AlipayFundTransUniTransferResponse()
        response.parse_response_content(client.execute(AlipayFundTransUniTransferRequest(biz_model=model)))
        if response.code != "10000" or response.status != "SUCCESS":
            raise AssertionError(f"raw transfer not made: {response.code} {response.sub_code}")
    return time.perf_counter() - started


def run(count, rounds, rows):
    """The bench phase: the stand-in in-process on a free port, `count` claims made ready, then
    round after round a share sent through the service and as many raw calls."""
    from django.test import override_settings
    from django.utils import timezone

    from payments.gateway.server import StandInGateway
    from zhibao.celery import app as celery_app

    gateway = StandInGateway(app_id="2021000000000000").start()
    try:
        with override_settings(ALIPAY_GATEWAY_URL=gateway.url, ALIPAY_TIMEOUT=15):
            made = time.perf_counter()
            pending = refunded_claims(count, timezone.now().replace(microsecond=0))
            made = time.perf_counter() - made
            # Their send tasks went to the broker after each commit: the bench sends them itself.
            celery_app.control.purge()
            share = len(pending) // rounds
            client = raw_client()
            numbers = (f"RAW{time.time_ns()}{n:06d}" for n in itertools.count())
            service, raw = [], []
            for round_ in range(rounds):
                batch = pending[round_ * share : (round_ + 1) * share]
                service.append(share / through_service(batch))
                raw.append(share / raw_calls(client, itertools.islice(numbers, share)))
    finally:
        gateway.stop()
    service_rate, raw_rate = statistics.median(service), statistics.median(raw)
    ratio = service_rate / raw_rate

    def each(rates):
        return "each round " + ", ".join(f"{rate:,.1f}" for rate in rates)

    rows.append(("payouts: claims made ready", f"{len(pending):,}", f"{made:.0f} s through the services"))
    rows.append(
        ("payouts: through the service, /s (median)", f"{service_rate:,.1f}", f"{rounds}×{share}; {each(service)}")
    )
    rows.append(("payouts: raw SDK transfer calls, /s (median)", f"{raw_rate:,.1f}", each(raw)))
    rows.append(
        (
            "payouts: ratio each round",
            "",
            ", ".join(f"{s / r:.3f}" for s, r in zip(service, raw, strict=True)),
        )
    )
    rows.append(("payout_ratio (service / raw)", f"{ratio:.3f}", f"target >= {TARGET}"))
    return {"payout_ratio": ratio}
