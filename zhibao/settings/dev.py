"""The embedded defaults `make run` uses: SQLite, local files, a filesystem broker."""

from zhibao.env import env, env_bool

from .base import *  # noqa: F403

DEBUG = env_bool("DEBUG", True)
# A development-only key; production.py refuses to start without a real one.
SECRET_KEY = env("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
