import datetime as dt
import os
import shutil
from functools import partial
from pathlib import Path

import pytest
from django.test import override_settings

from kernel.timeutil import SHANGHAI

from .world import World


def pytest_sessionfinish(session):
    """The filesystem broker's and the file cache's folders of this run (zhibao.settings.test) go with it."""
    for variable, name in (("ZHIBAO_TEST_BROKER_DIR", "test-broker"), ("ZHIBAO_TEST_CACHE_DIR", "test-cache")):
        folder = Path(os.environ.get(variable, ""))
        if folder.name == f"{name}-{os.getpid()}":
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test's rows are rolled back, so nothing cached from them may outlive it (webhook
    subscribers, throttle counts)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db):
    return World()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


@pytest.fixture(scope="session", autouse=True)
def standin():
    """The stand-in of Alipay's gateway on a free loopback port for the whole run (R-PAY-6): every
    payout in the suite really travels through the official SDK. Workers a test starts inherit
    the variables and so reach the same gateway."""
    from payments.gateway.server import StandInGateway

    gateway = StandInGateway(app_id="2021000000000000", slow_seconds=2.5).start()
    values = {"ALIPAY_GATEWAY_URL": gateway.url, "ALIPAY_TIMEOUT": "1"}
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    overrides = override_settings(ALIPAY_GATEWAY_URL=gateway.url, ALIPAY_TIMEOUT=1)
    overrides.enable()
    yield gateway
    overrides.disable()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    gateway.stop()


@pytest.fixture(autouse=True)
def _fresh_gateway(standin):
    """Each test's database starts afresh (ids come again), and so do the gateway's orders."""
    state = standin.book
    with state.lock:
        state.orders.clear()
        state.busy_seen.clear()
        state.transfer_calls = 0
        state.clock = partial(dt.datetime.now, SHANGHAI)


@pytest.fixture(autouse=True)
def _eager_celery():
    """Tasks run in-process in unit tests: one mechanism only (see guides/stack.md)."""
    from zhibao.celery import app

    app.conf.update(task_always_eager=True, task_eager_propagates=True)
    yield
