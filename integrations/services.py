"""Issuing and revoking integration clients' keys (api.md Conventions)."""

import datetime as dt
import secrets

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from catalogue.models import Insurer
from kernel.errors import RuleViolation
from merchants.models import Shop

from . import webhooks
from .models import ApiClient, ClientRole, hash_key


@transaction.atomic
def issue_client(
    name: str,
    *,
    role: str = ClientRole.PLATFORM,
    insurer_code: str | None = None,
    shop_id: str | None = None,
    webhook_url: str = "",
) -> tuple[ApiClient, str]:
    """Create a client; returns (client, key). The key is shown once and stored only as a hash;
    a client with a webhook URL also gets the secret its events are signed with."""
    insurer = shop = None
    if role == ClientRole.INSURER:
        insurer = Insurer.objects.filter(code=insurer_code or "").first()
        if insurer is None:
            raise RuleViolation(_("An insurer client needs --insurer with a known insurer code."), code="insurer")
    elif role == ClientRole.MERCHANT:
        shop = Shop.objects.filter(shop_id=shop_id or "").first()
        if shop is None:
            raise RuleViolation(_("A merchant client needs --shop with a known shop id."), code="shop")
    if (role != ClientRole.INSURER and insurer_code) or (role != ClientRole.MERCHANT and shop_id):
        raise RuleViolation(_("--insurer goes with --role insurer, --shop with --role merchant."), code="binding")
    key = "zb_" + secrets.token_urlsafe(32)
    client = ApiClient.objects.create(
        name=name,
        role=role,
        insurer=insurer,
        shop=shop,
        key_hash=hash_key(key),
        key_prefix=key[:10],
        webhook_url=webhook_url,
    )
    give_webhook_secret(client)
    return client, key


def give_webhook_secret(client: ApiClient) -> str:
    """A client with a webhook URL and no signing secret gets one (saved); returns it, or "" when
    there was nothing to do. Staff adding a URL in the admin are shown the secret this returns."""
    if not client.webhook_url or client.webhook_secret:
        return ""
    client.webhook_secret = "whsec_" + secrets.token_urlsafe(32)
    ApiClient.objects.filter(pk=client.pk).update(webhook_secret=client.webhook_secret)
    return client.webhook_secret


def revoke(clients: QuerySet[ApiClient], now: dt.datetime | None = None) -> int:
    """A revoked key is refused at once (401); its pending webhooks are given up on their next try."""
    revoked = clients.filter(active=True).update(active=False, revoked_at=now or timezone.now())
    webhooks.forget_subscribers()  # an update() sends no post_save
    return revoked
