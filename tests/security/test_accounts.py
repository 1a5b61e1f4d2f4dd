"""Accounts and transport: sign-in throttling on the admin and the portal (django-axes),
Django's password validators, cookie flags, and a clean `check --deploy` in production."""

import datetime as dt
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "pw-for-tests-1"  # tests/factories.UserFactory's
SIGN_IN = {"portal": "/portal/login/", "admin": "/admin/login/?next=/admin/"}


def sign_in(client, where, username, password, ip="203.0.113.7"):
    return client.post(SIGN_IN[where], {"username": username, "password": password}, REMOTE_ADDR=ip)


def user_of(world, where):
    return world.merchant_user if where == "portal" else world.reviewer_user


@pytest.mark.parametrize("where", ["portal", "admin"])
def test_a_name_is_locked_out_from_an_address_after_five_failures(client, world, where):
    username = user_of(world, where).username
    assert settings.AXES_FAILURE_LIMIT == 5
    for _attempt in range(4):
        assert sign_in(client, where, username, "wrong").status_code == 200
    locked = sign_in(client, where, username, "wrong")
    assert locked.status_code == 429
    assert "Too many sign-in attempts" in locked.content.decode()
    # Now even the right password is refused from there…
    assert sign_in(client, where, username, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session
    # …while the same person signs in from their own address: nobody can lock a colleague out.
    assert sign_in(client, where, username, PASSWORD, ip="198.51.100.20").status_code == 302


@pytest.mark.parametrize("where", ["portal", "admin"])
def test_the_lockout_ends_after_the_cool_off(client, world, where):
    username = user_of(world, where).username
    for _attempt in range(5):
        sign_in(client, where, username, "wrong")
    assert sign_in(client, where, username, PASSWORD).status_code == 429
    cool_off = settings.AXES_COOLOFF_TIME
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - cool_off - dt.timedelta(seconds=1))
    assert sign_in(client, where, username, PASSWORD).status_code == 302


def test_a_successful_sign_in_resets_the_count(client, world):
    username = world.merchant_user.username
    for _attempt in range(4):
        sign_in(client, "portal", username, "wrong")
    assert sign_in(client, "portal", username, PASSWORD).status_code == 302
    client.logout()
    for _attempt in range(4):
        assert sign_in(client, "portal", username, "wrong").status_code == 200
    assert sign_in(client, "portal", username, PASSWORD).status_code == 302


def test_failures_on_unknown_names_are_throttled_too(client, world):
    for _attempt in range(4):
        assert sign_in(client, "portal", "nobody", "guess").status_code == 200
    assert sign_in(client, "portal", "nobody", "guess").status_code == 429


@pytest.fixture
def superuser_client(client, world):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    root.save()
    client.force_login(root)
    return client


@pytest.mark.parametrize(
    "password, problem",
    [
        ("Zx9!", "too short"),
        ("password123", "too common"),
        ("83749201938", "entirely numeric"),
        ("carol.lee.hz", "too similar"),
    ],
)
def test_weak_passwords_are_refused_when_staff_create_an_account(superuser_client, password, problem):
    response = superuser_client.post(
        "/admin/auth/user/add/",
        {"username": "carol.lee.hz", "password1": password, "password2": password, "usable_password": "true"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert problem in response.content.decode()
    assert not get_user_model().objects.filter(username="carol.lee.hz").exists()


def test_a_strong_password_is_accepted(superuser_client):
    strong = "tea-kettle-harbour-93"
    response = superuser_client.post(
        "/admin/auth/user/add/",
        {"username": "carol.lee.hz", "password1": strong, "password2": strong, "usable_password": "true"},
    )
    assert response.status_code == 302
    assert get_user_model().objects.get(username="carol.lee.hz").check_password(strong)


def test_session_and_csrf_cookies_are_http_only_and_same_site(client, world):
    client.get("/portal/login/")
    assert client.cookies["csrftoken"]["httponly"] and client.cookies["csrftoken"]["samesite"] == "Lax"
    response = sign_in(client, "portal", world.merchant_user.username, PASSWORD)
    assert response.status_code == 302
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] and session["samesite"] == "Lax"


def production_env(**extra):
    # The browser tests' harness allows async-unsafe calls in the test process; a deployment never does.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "zhibao.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "zhibao.example.com",
        # Production refuses to start without a shared cache (ops.checks); naming one connects to nothing.
        "CACHE_URL": os.environ.get("CACHE_URL") or "redis://127.0.0.1:6379/1",
        **extra,
    }


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_would_catch_an_insecure_setting():
    """The test above can fail: the same check with HSTS off is not clean."""
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(SECURE_HSTS_SECONDS="0"))
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


def test_production_cookies_are_secure_and_host_only():
    probe = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.LANGUAGE_COOKIE_SECURE, "
        "s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SECURE_HSTS_SECONDS >= 31536000)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=production_env(), capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["True", "True", "True", "__Host-sessionid", "__Host-csrftoken", "True"]
