"""System checks a process runs before it serves (zhibao.wsgi, a Celery worker) as well as under
`manage.py check`: what production cannot run without."""

from django.conf import settings
from django.core import checks
from django.core.management.base import SystemCheckError

START = "zhibao_start"


@checks.register(checks.Tags.caches, START)
def shared_cache_named(app_configs=None, **kwargs):
    """Production shares one cache across every process and machine (CACHE_URL): the embedded file
    cache is one machine's, so API budgets and webhook subscribers would be counted per machine."""
    if settings.ZHIBAO_REQUIRE_CACHE_URL and not settings.CACHE_URL:
        return [
            checks.Error(
                "CACHE_URL must be set in production.",
                hint="Name the Redis database every web and worker process shares, e.g. redis://cache:6379/1.",
                id="zhibao.E001",
            )
        ]
    return []


def refuse_to_start_unless_ready():
    """Raise SystemCheckError (the process stops) if a start check fails."""
    errors = [m for m in checks.run_checks(tags=[START]) if m.is_serious()]
    if errors:
        raise SystemCheckError("\n".join(str(error) for error in errors))
