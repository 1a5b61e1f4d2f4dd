"""Issue 13 item 12: the API contract as other people's tools read it. The schema is as strict as the
server and says who may call what; a stored row without its file is a 404 (a storage outage a 503);
a 100 MB upload is refused while it streams; one language per answer."""

import io
import re

import pytest
import yaml
from django.core.files.storage import FileSystemStorage
from django.utils import translation

from claims.choices import ClaimStatus as S
from integrations.models import ClientRole
from kernel.uploads import MAX_FILE_BYTES
from tests.factories import image_upload
from tests.test_translations import compiled_catalogue  # noqa: F401  (a fixture)

from .conftest import error_of

pytestmark = pytest.mark.django_db
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def openapi(client):
    return yaml.safe_load(client.get("/api/schema/").content)


def operations(openapi):
    for path, methods in openapi["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def parameter(operation, name):
    return next(p for p in operation["parameters"] if p["name"] == name)


def test_the_evidence_file_is_a_binary_multipart_part(openapi):
    body = openapi["paths"]["/api/v1/claims/{claim_id}/evidence"]["post"]["requestBody"]["content"]
    ref = body["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert openapi["components"]["schemas"][ref]["properties"]["file"] == {
        "type": "string",
        "format": "binary",
        "description": "image/jpeg, image/png, image/webp or video/mp4; at most 20 MB.",
    }


def test_the_idempotency_key_status_and_limit_are_as_strict_as_the_server(openapi):
    create = openapi["paths"]["/api/v1/claims/{claim_id}/evidence"]["post"]
    key = parameter(create, "Idempotency-Key")["schema"]
    assert (key["minLength"], key["maxLength"]) == (1, 255)
    listing = openapi["paths"]["/api/v1/claims"]["get"]
    status = parameter(listing, "status")
    assert (status["style"], status["explode"]) == ("form", False)
    assert set(status["schema"]["items"]["enum"]) == {*S.values, "open", "receipt_check"}
    assert status["schema"]["minItems"] == 1
    limit = parameter(listing, "limit")["schema"]
    assert (limit["minimum"], limit["maximum"]) == (1, 500)
    assert parameter(listing, "q")["schema"]["maxLength"] == 64


def test_every_operation_says_which_roles_may_call_it_and_no_internal_docstring(openapi):
    for method, path, operation in operations(openapi):
        roles = operation["x-roles"]
        assert roles and set(roles) <= set(ClientRole.values), (method, path)
        assert "Who may call it:" in operation["description"], (method, path)
        assert "`roles` maps" not in operation["description"], (method, path)
    evidence = openapi["paths"]["/api/v1/claims/{claim_id}/evidence"]["post"]
    assert evidence["x-roles"] == ["platform", "merchant"]
    decision = openapi["paths"]["/api/v1/claims/{claim_id}/decision"]["post"]
    assert decision["x-roles"] == ["insurer"]


def test_a_stored_row_whose_file_is_gone_is_a_404_and_a_storage_outage_a_503(world, platform, monkeypatch):
    claim = world.claim(with_image=False)
    url = platform.upload(f"claims/{claim.claim_id}/evidence", image_upload(pattern=2)).json()["file_url"]
    evidence = claim.evidence.get()

    def unreachable(self, name):
        raise TimeoutError("storage timed out")

    monkeypatch.setattr(FileSystemStorage, "exists", unreachable)
    response = platform.get(url)
    assert response.status_code == 503
    assert error_of(response)["code"] == "unavailable"
    monkeypatch.undo()

    evidence.file.storage.delete(evidence.file.name)
    response = platform.get(url)
    assert response.status_code == 404
    assert error_of(response)["code"] == "file_missing"


class Streamed(io.RawIOBase):
    """A 100 MB multipart body produced as it is read, counting what the server reads."""

    def __init__(self, boundary, size):
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        self.head, self.size, self.read_bytes = head, size, 0

    def readable(self):
        return True

    def read(self, n=-1):
        n = self.size - self.read_bytes if n is None or n < 0 else min(n, self.size - self.read_bytes)
        start, self.read_bytes = self.read_bytes, self.read_bytes + n
        head = self.head[start : start + n]
        return head + b"\x00" * (n - len(head))


@pytest.mark.parametrize("declared", [True, False], ids=["declared-100MB", "declared-within-the-form-overhead"])
def test_a_100_mb_upload_is_refused_while_it_streams(world, platform, declared):
    claim = world.claim(with_image=False)
    boundary = "zhibao-boundary"
    size = 100 * 1024 * 1024 if declared else MAX_FILE_BYTES + 32 * 1024
    body = Streamed(boundary, size)
    response = platform.http.generic(
        "POST",
        f"/api/v1/claims/{claim.claim_id}/evidence",
        content_type=f"multipart/form-data; boundary={boundary}",
        **{"wsgi.input": body, "CONTENT_LENGTH": str(size)},
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "file_too_large"
    # Refused at once when the length says so, else at the chunk that passes 20 MB: never read to the end.
    assert body.read_bytes <= (0 if declared else MAX_FILE_BYTES + 1024 * 1024)
    assert not claim.evidence.exists()


@pytest.fixture
def language_kept():
    """A request leaves its language active in the thread (LocaleMiddleware): give it back."""
    before = translation.get_language()
    yield
    translation.activate(before)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_top_level_and_field_messages_speak_the_language_asked_for(
    world,
    platform,
    compiled_catalogue,  # noqa: F811
    language_kept,
    language,  # noqa: F811
):
    headers = {"Accept-Language": language}
    answers = [
        platform.http.post("/api/v1/refund-requests", {"refund_id": ""}, format="json", headers=headers),
        platform.http.get("/api/v1/claims", {"status": "flying"}, headers=headers),
    ]
    for response in answers:
        error = error_of(response)
        texts = [error["message"], *(m for messages in error["fields"].values() for m in messages)]
        assert error["fields"]
        for text in texts:
            assert bool(CJK.search(text)) == (language == "zh-hans"), text
        assert response["Content-Language"] == language
