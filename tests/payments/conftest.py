import pytest

from payments.providers import get_provider


@pytest.fixture
def gateway(standin, settings):
    """The run's stand-in (tests/conftest.py), with the SDK client built from the settings."""
    settings.ALIPAY_APP_PRIVATE_KEY = settings.ALIPAY_PUBLIC_KEY = ""
    standin.provider = get_provider()
    return standin
