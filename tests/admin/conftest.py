import pytest


@pytest.fixture
def login(client):
    """The test client, logged in as `user`."""

    def as_user(user):
        client.force_login(user)
        return client

    return as_user


@pytest.fixture(autouse=True)
def _english(settings):
    """Staff read zh-Hans by default; these tests read the English source strings, so that they
    do not change when the translations arrive (test_i18n checks the Chinese default)."""
    settings.LANGUAGE_CODE = "en"
