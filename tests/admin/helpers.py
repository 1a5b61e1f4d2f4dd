import re

from django.urls import reverse

from ..factories import ShopFactory


def seen_of(response, action):
    """The page version an action form carries (the stale-page guard)."""
    html = response.content.decode()
    form = re.search(rf'<form[^>]*id="act-{action}".*?</form>', html, re.S)
    assert form, f"no {action} form on the page"
    return re.search(r'name="seen" value="([^"]+)"', form.group(0)).group(1)


def claim_url(claim, view="change"):
    return reverse(f"admin:claims_claim_{view}", args=[claim.pk])


def act_url(obj, action):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_act", args=[obj.pk, action])


def result_rows(response):
    """The rows of an admin change list, as HTML strings, in display order."""
    html = response.content.decode()
    body = re.search(r'<table id="result_list">.*?<tbody>(.*?)</tbody>', html, re.S)
    return re.findall(r"<tr.*?</tr>", body.group(1), re.S) if body else []


def claim_of_other_insurer(world):
    """A claim on a shop enrolled with the world's other insurer: outside the reviewer's scope."""
    shop = ShopFactory(shop_id="shop-other-insurer")
    world.enrol(shop, insurer=world.other_insurer, at=world.since)
    return world.claim(shop=shop)
