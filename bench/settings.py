"""The bench's settings: production-like (DEBUG off, persistent connections as DATABASE_CONN_MAX_AGE
sets them), the database and broker run.sh started, and one extra URL (bench.urls)."""

from zhibao.env import env
from zhibao.settings.base import *  # noqa: F403

SECRET_KEY = env("SECRET_KEY", "bench-only-key-" + "x" * 40)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "bench.urls"
# The load is one platform client sending thousands of requests a second: the per-client budget
# would answer 429 and measure the throttle instead of the work.
ZHIBAO_API_RATE = "100000000/min"
LOGGING["root"]["level"] = env("LOG_LEVEL", "WARNING")  # noqa: F405
# The figures' rollups are kept by the sweeper (claims.rollups): the bench measures the page's
# reads, so the page never rebuilds them itself while it is timed.
FIGURES_FRESH_SECONDS = 86400 * 365
