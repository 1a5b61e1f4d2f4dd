"""The OpenAPI schema (api.md: /api/schema/, /api/docs/): valid, complete, documented, and a
bounded schemathesis run against it with no server error."""

import re
from pathlib import Path

import pytest
import schemathesis
import yaml
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from claims.choices import ClaimStatus as S
from zhibao.wsgi import application

from .conftest import make_api

pytestmark = pytest.mark.django_db

CONTRACT = Path(__file__).resolve().parents[3] / "shared" / "spec" / "api.md"
# Every endpoint api.md names, with the two this API adds (the evidence download, one request).
CONTRACT_ENDPOINTS = {
    ("post", "/api/v1/orders"),
    ("post", "/api/v1/order-events"),
    ("get", "/api/v1/policies"),
    ("get", "/api/v1/policies/{policy_no}"),
    ("post", "/api/v1/refund-requests"),
    ("get", "/api/v1/refund-requests"),
    ("get", "/api/v1/refund-requests/{refund_id}"),
    ("get", "/api/v1/claims"),
    ("get", "/api/v1/claims/{claim_id}"),
    ("post", "/api/v1/claims/{claim_id}/evidence"),
    ("get", "/api/v1/claims/{claim_id}/evidence/{evidence_id}/file"),
    ("get", "/api/v1/claims/{claim_id}/evidence-pack"),
    ("post", "/api/v1/claims/{claim_id}/return-shipment"),
    ("post", "/api/v1/claims/{claim_id}/delivered"),
    ("post", "/api/v1/claims/{claim_id}/refund-completed"),
    ("post", "/api/v1/claims/{claim_id}/appeal"),
    ("post", "/api/v1/claims/{claim_id}/decision"),
    ("post", "/api/v1/claims/{claim_id}/receipt"),
    ("post", "/api/v1/claims/{claim_id}/remind-buyer"),
    ("post", "/api/v1/buyer-reports"),
    # Added in the second round (api.md, its end).
    ("post", "/api/v1/claims/{claim_id}/notes"),
    ("post", "/api/v1/claims/{claim_id}/satisfaction"),
    ("get", "/api/v1/bordereaux"),
    ("get", "/api/v1/bordereaux/{id}/file"),
    # R-PLAN-1 (issue 18): each plan's problem codes, instead of one plan's enumeration.
    ("get", "/api/v1/plans/{plan_code}/problem-codes"),
    # R-AUTH-1 (issue 15): a second person confirms or sends back a decision awaiting approval.
    ("post", "/api/v1/claims/{claim_id}/decision/confirm"),
    ("post", "/api/v1/claims/{claim_id}/decision/send-back"),
}


@pytest.fixture
def openapi(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def operations(openapi):
    for path, methods in openapi["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def test_the_schema_is_valid_openapi_3(openapi):
    assert openapi["openapi"].startswith("3.")
    validate_schema(openapi)


def test_the_schema_has_every_endpoint_of_the_contract(openapi):
    assert {(method, path) for method, path, _op in operations(openapi)} == CONTRACT_ENDPOINTS


@pytest.mark.skipif(not CONTRACT.exists(), reason="the shared contract is not beside this checkout")
def test_every_path_the_contract_writes_is_in_the_schema(openapi):
    written = set(re.findall(r"`(?:GET|POST) (/api/v1/[a-z\-/{}_]+)", CONTRACT.read_text()))
    written = {re.sub(r"^/api/v1/claims/\{id\}", "/api/v1/claims/{claim_id}", path) for path in written}
    assert written <= set(openapi["paths"])


def test_r_plan_1_the_decision_takes_any_plans_code_as_a_string_and_points_to_the_lookup(openapi):
    body = openapi["paths"]["/api/v1/claims/{claim_id}/decision"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    field = openapi["components"]["schemas"][ref]["properties"]["problem_code"]
    assert field["type"] == "string" and "enum" not in field
    assert "/api/v1/plans/{code}/problem-codes" in field["description"]


def test_every_operation_documents_its_answers_errors_and_the_token(openapi):
    for method, path, operation in operations(openapi):
        codes = set(operation["responses"])
        assert {"401", "429"} <= codes, (method, path)
        assert any(code.startswith("2") for code in codes), (method, path)
        assert operation["security"] == [{"token": []}], (method, path)
        for code in codes - {"200", "201", "206"}:  # 206: a byte range of an evidence file (R-EVI-1)
            content = operation["responses"][code].get("content", {})
            assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, (path, code)
        if method == "post" and not path.endswith("remind-buyer"):  # remind-buyer takes no body
            assert "requestBody" in operation, path
            assert "Idempotency-Key" in [p["name"] for p in operation.get("parameters", [])], path
        if "{claim_id}" in path and method == "post":
            assert {"403", "404", "409"} <= codes, path


def test_the_main_requests_carry_examples(openapi):
    for path in ("/api/v1/orders", "/api/v1/order-events", "/api/v1/refund-requests"):
        examples = openapi["paths"][path]["post"]["requestBody"]["content"]["application/json"]["examples"]
        assert examples, path


def test_the_docs_page_is_served(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


# -- schemathesis ----------------------------------------------------------------------------


@pytest.fixture
def api_schema(db):
    """The schema, and the calls, through the real WSGI application. Django closes the database
    connection when a request starts and finishes; the test client keeps it for the test's
    transaction, and so must this (as django.test.client.ClientHandler does)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@pytest.fixture
def live_ids(world):
    """Real objects, so that generated requests reach the services and not only the 404."""
    claim = world.claim(buyer="b-fuzz")
    approved = world.in_state(S.AWAITING_RETURN, buyer="b-fuzz-2")
    return {
        "claim_id": [claim.claim_id, approved.claim_id],
        "policy_no": [claim.policy.policy_no],
        "refund_id": [claim.refund_request.refund_id],
        "evidence_id": [claim.evidence.get().pk],
    }


@pytest.fixture
def fuzzing_clients(world):
    """A client of each role: every generated request is sent as each of them."""
    return [
        make_api("fuzz-platform"),
        make_api("fuzz-insurer", role="insurer", insurer_code=world.insurer.code),
        make_api("fuzz-merchant", role="merchant", shop_id=world.shop.shop_id),
    ]


# schemathesis's own pytest loader does not run under pytest 9 (it reads a private node
# attribute pytest removed), so each operation is driven with its Hypothesis strategy here.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("method, path", sorted(CONTRACT_ENDPOINTS))
def test_no_generated_request_makes_a_server_error(api_schema, fuzzing_clients, live_ids, method, path, mode):
    """Bounded: a dozen examples per operation, each sent by the three roles, as the schema allows
    them (positive) and breaking it (negative: wrong types, missing fields, odd values). Every
    answer must be no 5xx, with a documented status, of the documented media type, and shaped as
    documented."""
    operation = api_schema[path][method.upper()]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    def fuzz(case):
        for name, values in live_ids.items():
            if name in (case.path_parameters or {}):
                case.path_parameters[name] = values[len(str(case.body)) % len(values)]
        for api in fuzzing_clients:
            case.call_and_validate(
                headers={"Authorization": f"Token {api.key}"},
                checks=[
                    not_a_server_error,
                    status_code_conformance,
                    content_type_conformance,
                    response_schema_conformance,
                ],
            )

    fuzz()
