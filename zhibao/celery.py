import os
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import worker_init

# As zhibao/wsgi.py: a worker started without DJANGO_SETTINGS_MODULE runs production's settings, never the
# dev ones (this module is imported first by `import zhibao`, so its default is the one that counts).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhibao.settings.production")

app = Celery("zhibao")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

FILESYSTEM_BROKER_FOLDERS = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")


@app.on_after_configure.connect
def make_state_folders(sender: Celery, source: Any, **kwargs: Any) -> None:
    """The embedded filesystem broker reads and writes folders it does not make (kombu makes only its
    control folder, and not that folder's parents), and beat needs a folder for its schedule file. They
    are made here, once Celery reads its settings in a process that uses it, not when settings are imported."""
    folders = [Path(source.beat_schedule_filename).parent]
    if str(source.broker_url or "").startswith("filesystem"):
        options = source.broker_transport_options or {}
        folders += [Path(options[name]) for name in FILESYSTEM_BROKER_FOLDERS if options.get(name)]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)


@worker_init.connect
def refuse_to_start_unless_ready(**kwargs: Any) -> None:
    """A worker checks what the web servers check before they serve (ops.checks: CACHE_URL). Celery
    logs and swallows a receiver's exceptions, so a failed check ends the process itself."""
    from django.core.management.base import SystemCheckError

    from ops.checks import refuse_to_start_unless_ready as check

    try:
        check()
    except SystemCheckError as error:
        raise SystemExit(str(error)) from error
