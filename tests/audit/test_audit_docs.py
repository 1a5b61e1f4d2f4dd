"""docs/audit.md's ten lines (R-AUD-1, R-AUD-2): a client checks a pack and a root on its own."""

import datetime as dt
import re
import zipfile
from pathlib import Path

import pytest

from audit import chain
from audit.models import ChainHead
from claims import packs
from integrations.models import WebhookDelivery
from integrations.roots import publish_daily_root
from integrations.services import issue_client
from kernel.timeutil import shanghai_date

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def the_snippet():
    text = DOC.read_text()
    [code] = re.findall(r"<!-- check-pack -->\n```python\n(.*?)```", text, re.S)
    lines = [line for line in code.splitlines() if line.strip()]
    assert len(lines) <= 12  # "ten lines of Python", give or take the import and the def
    namespace = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace["check_pack"]


def test_r_aud_1_r_aud_2_the_documented_check_accepts_a_pack_and_the_root_a_client_received(world, tmp_path):
    issue_client("insurer-roots", role="insurer", insurer_code=world.insurer.code, webhook_url="https://ins.example/h")
    claim = world.approved()
    day = shanghai_date(ChainHead.objects.get(chain=f"claim:{claim.pk}").at)
    publish_daily_root(now=chain.day_end(day) + dt.timedelta(minutes=5))
    received = WebhookDelivery.objects.get(event_type="audit.root").payload["data"]
    roots = {received["day"]: received["root"]}
    check_pack = the_snippet()
    for actor in (world.reviewer, world.merchant):
        path = tmp_path / f"{actor.role}.zip"
        path.write_bytes(packs.download_pack(claim, actor).file.read())
        check_pack(path, roots)

    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(path) as original, zipfile.ZipFile(tampered, "w") as copy:
        for info in original.infolist():
            data = original.read(info.filename)
            copy.writestr(info, data + b"\x00" if info.filename.startswith("evidence/") else data)
    with pytest.raises(AssertionError):
        check_pack(tampered, roots)
    with pytest.raises(AssertionError, match="not the root you hold"):
        check_pack(tmp_path / "reviewer.zip", {received["day"]: "0" * 64})
