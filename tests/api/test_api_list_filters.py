"""The lists' FilterSets (claims/filters.py, policies/filters.py), shared with the portal: what
the API answers for them (api.md "Conventions": filters as query parameters, errors)."""

import pytest

from claims.choices import ClaimStatus as S

from .conftest import error_of


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("claims", {"status": "submitted,flying"}, "status"),
        ("claims", {"updated_since": "2026-03-01T10:00:00"}, "updated_since"),  # no offset
        ("claims", {"updated_since": "1999-12-31T23:00:00+08:00"}, "updated_since"),
        ("claims", {"kind": "swap"}, "kind"),
        ("claims", {"sub_order_id": "x" * 65}, "sub_order_id"),
        ("refund-requests", {"business_type": "other"}, "business_type"),
        ("policies", {"sub_order_id": "x" * 65}, "sub_order_id"),
    ],
)
def test_a_bad_filter_value_is_the_contracts_400_naming_the_parameter(world, merchant, path, params, field):
    response = merchant.get(path, params)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid" and list(error["fields"]) == [field]


def test_the_portals_groups_of_states_filter_the_api_list_too(world, merchant):
    """R-RET-3: the parcels a merchant has to check, the portal's `receipt_check`, by the same FilterSet."""
    parcel = world.in_state(S.AWAITING_RECEIPT)
    world.in_state(S.AWAITING_RETURN)
    response = merchant.get("claims", {"status": "receipt_check"})
    assert [c["claim_id"] for c in response.json()["results"]] == [parcel.claim_id]
