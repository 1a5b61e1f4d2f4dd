import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhibao.settings.dev")
application = get_wsgi_application()

# What is loaded by now (Django, DRF, the apps, the URL conf) lives as long as the worker: keep it
# out of the garbage collector's full passes, which otherwise walk those ~170,000 objects again
# every few hundred requests (docs/performance.md).
gc.freeze()
