import gc
import os

from django.core.wsgi import get_wsgi_application

# A server started without DJANGO_SETTINGS_MODULE gets production's settings (no DEBUG, no dev key), never
# the dev ones: it then refuses to start until SECRET_KEY and ALLOWED_HOSTS are set. `make run` names dev.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhibao.settings.production")
application = get_wsgi_application()

# Refuse to serve without what production needs (ops.checks: CACHE_URL); gunicorn runs no system checks.
from ops.checks import refuse_to_start_unless_ready  # noqa: E402

refuse_to_start_unless_ready()

# What is loaded by now (Django, DRF, the apps, the URL conf) lives as long as the worker: keep it
# out of the garbage collector's full passes, which otherwise walk those ~170,000 objects again
# every few hundred requests (docs/performance.md).
gc.freeze()
