import pytest

from kernel.actors import Role
from tests.factories import member


@pytest.fixture
def merchant_client(client, world):
    """The browser of world.merchant_user, a merchant of shop-a. It asks for English, so that the
    assertions read the source strings whatever translations exist."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(world.merchant_user)
    return client


@pytest.fixture
def other_merchant_user(world):
    return member("merchant-b", Role.MERCHANT, shop=world.other_shop)
