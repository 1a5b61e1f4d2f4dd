import pytest

from .world import World


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


@pytest.fixture(autouse=True)
def _eager_celery():
    """Tasks run in-process in unit tests: one mechanism only (see guides/stack.md)."""
    from zhibao.celery import app

    app.conf.update(task_always_eager=True, task_eager_propagates=True)
    yield
