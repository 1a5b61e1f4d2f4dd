"""First run (issue 16 item 7): Chinese first when the browser asks for neither language, an icon
on every page, and no django-axes banner or per-sign-in log lines above `make run`'s logins."""

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from zhibao.settings import base


@pytest.mark.parametrize(
    ("asked", "shown"),
    [
        ("fr-FR,fr;q=0.9", "zh-hans"),
        ("", "zh-hans"),
        ("zh-CN", "zh-hans"),
        ("en-US,en;q=0.9", "en"),
        ("de, en;q=0.5", "en"),
    ],
)
@override_settings(LANGUAGE_CODE=base.LANGUAGE_CODE)  # the test settings read English first
def test_chinese_first_unless_the_browser_asks_for_english(client, db, asked, shown):
    assert base.LANGUAGE_CODE == "zh-hans"
    for url in (reverse("portal:login"), reverse("admin:login")):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE=asked).content.decode()
        assert f'<html lang="{shown}"' in page, url


def test_every_page_has_an_icon(client, db):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 301 and icon["Location"].endswith("zhibao/favicon.svg")
    for url in (reverse("portal:login"), reverse("admin:login")):
        assert 'rel="icon" href="/static/zhibao/favicon.svg"' in client.get(url).content.decode(), url


def test_axes_prints_no_banner():
    assert settings.AXES_VERBOSE is False
