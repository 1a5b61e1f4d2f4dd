"""Guard rails around the settings: a server started bare runs production's, a mistyped switch stops the
start instead of reading as "off", importing the settings leaves the disk alone."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from zhibao.env import env_bool

ROOT = Path(__file__).resolve().parents[1]
# What a test run puts in the environment for its own settings; a process started here must not inherit it.
TEST_RUN = {
    "DJANGO_SETTINGS_MODULE",
    "ZHIBAO_TEST_DATABASE",
    "ZHIBAO_TEST_BROKER_DIR",
    "ZHIBAO_TEST_CACHE_DIR",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}
# CI's PostgreSQL (behind PgBouncer, with its replica) and Redis: the processes below use the embedded defaults.
SERVICES = {
    "DATABASE_URL",
    "DATABASE_TRANSACTION_POOLING",
    "DATABASE_CONN_MAX_AGE",
    "REPLICA_DATABASE_URL",
    "CELERY_BROKER_URL",
    "CACHE_URL",
}


def python(*args, **env):
    inherited = {k: v for k, v in os.environ.items() if k not in TEST_RUN | SERVICES}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env={**inherited, **env}, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("value", ["1", "true", "True", "YES", "on", " on "])
def test_a_switch_set_on_reads_true(monkeypatch, value):
    monkeypatch.setenv("SECURE_SSL_REDIRECT", value)
    assert env_bool("SECURE_SSL_REDIRECT", False) is True


@pytest.mark.parametrize("value", ["0", "false", "No", "OFF"])
def test_a_switch_set_off_reads_false(monkeypatch, value):
    monkeypatch.setenv("SECURE_SSL_REDIRECT", value)
    assert env_bool("SECURE_SSL_REDIRECT", True) is False


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_switch_keeps_its_default(monkeypatch, value):
    monkeypatch.setenv("DEBUG", value)
    assert env_bool("DEBUG", True) is True and env_bool("DEBUG", False) is False


@pytest.mark.parametrize("value", ["ture", "flase", "enabled", "2", "y"])
def test_a_mistyped_switch_is_refused_naming_the_variable(monkeypatch, value):
    """A typo must not quietly read as False (SECURE_SSL_REDIRECT=ture would have switched HTTPS off)."""
    monkeypatch.setenv("SECURE_SSL_REDIRECT", value)
    with pytest.raises(ImproperlyConfigured, match=f"SECURE_SSL_REDIRECT .*not {value!r}"):
        env_bool("SECURE_SSL_REDIRECT", True)


PRINT_SETTINGS = "from django.conf import settings; print(settings.SETTINGS_MODULE, settings.DEBUG)"
PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "zhibao.example.com",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
}


def test_the_wsgi_server_runs_production_settings_when_none_are_named():
    result = python("-c", "import zhibao.wsgi; " + PRINT_SETTINGS, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["zhibao.settings.production", "False"]


def test_the_wsgi_server_named_no_settings_and_no_key_refuses_to_start():
    result = python("-c", "import zhibao.wsgi")
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_a_celery_worker_runs_production_settings_when_none_are_named():
    result = python("-c", "from zhibao.celery import app; app.conf.broker_url; " + PRINT_SETTINGS, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["zhibao.settings.production", "False"]


def test_manage_py_keeps_the_dev_settings():
    result = python("manage.py", "shell", "--no-imports", "-c", PRINT_SETTINGS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["zhibao.settings.dev", "True"]


@pytest.mark.parametrize("module", ["zhibao.settings.dev", "zhibao.settings.test", "zhibao.settings.production"])
def test_loading_the_settings_makes_no_folder(tmp_path, module):
    var = tmp_path / "var"
    result = python(
        "-c",
        "import django; django.setup(); from zhibao.celery import app",
        DJANGO_SETTINGS_MODULE=module,
        ZHIBAO_VAR_DIR=str(var),
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert not var.exists()


def test_the_embedded_defaults_make_their_folders_when_first_used(tmp_path):
    var = tmp_path / "var"
    result = python(
        "-c",
        "import django; django.setup(); from django.db import connection; connection.ensure_connection(); "
        "from zhibao.celery import app; app.conf.broker_url",
        DJANGO_SETTINGS_MODULE="zhibao.settings.dev",
        ZHIBAO_VAR_DIR=str(var),
    )
    assert result.returncode == 0, result.stderr
    assert (var / "zhibao.sqlite3").is_file()
    assert all((var / "broker" / name).is_dir() for name in ("queue", "processed", "control"))
    assert not (var / "cache").exists()  # the file cache's folder waits for the cache's first use


def test_the_embedded_file_cache_makes_its_folder_when_first_used(tmp_path):
    var = tmp_path / "var"
    result = python(
        "-c",
        "import django; django.setup(); from django.core.cache import cache; cache.set('k', 1); print(cache.get('k'))",
        DJANGO_SETTINGS_MODULE="zhibao.settings.dev",
        ZHIBAO_VAR_DIR=str(var),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1"]
    assert (var / "cache").is_dir()


@pytest.mark.parametrize(
    "start",
    [
        ["-c", "import zhibao.wsgi"],
        ["manage.py", "check"],
        ["-m", "celery", "-A", "zhibao", "worker", "-P", "solo", "--without-mingle", "--without-gossip"],
    ],
    ids=["wsgi", "manage-check", "celery-worker"],
)
def test_production_refuses_to_start_without_cache_url(start):
    settings_module = {"DJANGO_SETTINGS_MODULE": "zhibao.settings.production"}
    result = python(*start, **{**PRODUCTION, "CACHE_URL": ""}, **settings_module)
    assert result.returncode != 0
    assert "zhibao.E001" in result.stderr and "CACHE_URL must be set in production" in result.stderr


def test_every_template_folder_the_settings_name_exists():
    folders = [Path(folder) for engine in settings.TEMPLATES for folder in engine["DIRS"]]
    assert folders and all(folder.is_dir() for folder in folders), folders


def test_behind_pgbouncer_no_server_side_cursor_and_no_prepared_statement():
    """Transaction pooling (README "Production engines"): nothing may outlive a transaction."""
    shown = "from django.conf import settings; d = settings.DATABASES['default']; "
    shown += "print(d['DISABLE_SERVER_SIDE_CURSORS'], d['OPTIONS']['prepare_threshold'], d['CONN_MAX_AGE'])"
    result = python(
        "-c",
        "import django; django.setup(); " + shown,
        DJANGO_SETTINGS_MODULE="zhibao.settings.dev",
        DATABASE_URL="postgres://zhibao@127.0.0.1:6432/zhibao",
        DATABASE_TRANSACTION_POOLING="1",
        DATABASE_CONN_MAX_AGE="600",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "None", "600"]
