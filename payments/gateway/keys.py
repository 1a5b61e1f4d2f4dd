"""The stand-in gateway's RSA keys: the app's pair (it signs requests) and the gateway's pair (it
signs answers), made on first use under var/ and never committed. Both the stand-in and the
client read this one file, so they always agree."""

import json
import os
import tempfile
from pathlib import Path

from Crypto.PublicKey import RSA
from django.conf import settings


def keys_path() -> Path:
    return Path(settings.VAR_DIR) / "payment-gateway" / "keys.json"


def standin_keys(path: Path | None = None) -> dict:
    path = path or keys_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pairs = {}
        for side in ("app", "gateway"):
            key = RSA.generate(2048)
            pairs[f"{side}_private"] = key.export_key(format="PEM", pkcs=1).decode()
            pairs[f"{side}_public"] = key.publickey().export_key(format="PEM").decode()
        fd, temporary = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(fd, "w") as out:
            json.dump(pairs, out)
        try:
            # A link never replaces an existing file: if another process made its keys first, use those.
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    return json.loads(path.read_text())
