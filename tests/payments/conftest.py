import datetime as dt
from functools import partial

import pytest

from kernel.timeutil import SHANGHAI
from payments.gateway.server import StandInGateway
from payments.providers import get_provider


@pytest.fixture(scope="session")
def standin():
    """The stand-in of Alipay's gateway on a free loopback port, for the whole run."""
    gateway = StandInGateway(app_id="2021000000000000", slow_seconds=2.5).start()
    yield gateway
    gateway.stop()


@pytest.fixture
def gateway(standin, settings):
    """The stand-in, with the SDK pointed at it and a client that gives up after one second."""
    settings.ALIPAY_GATEWAY_URL = standin.url
    settings.ALIPAY_TIMEOUT = 1
    settings.ALIPAY_APP_PRIVATE_KEY = settings.ALIPAY_PUBLIC_KEY = ""
    # Each test's database starts afresh, and so do the gateway's orders (out_biz_no repeat).
    standin.state.orders.clear()
    standin.state.busy_seen.clear()
    standin.state.transfer_calls = 0
    standin.state.clock = partial(dt.datetime.now, SHANGHAI)
    standin.provider = get_provider()
    return standin
