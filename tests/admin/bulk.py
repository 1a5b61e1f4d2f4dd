"""Many rows fast, for query-count guards: one object reached through the services, then copied
with bulk_create. Each copy is in a state the services reached, with its own natural ids."""

import copy
import itertools

from django.db.models.base import ModelState

_serial = itertools.count(1)


def clone(obj, n, **per_copy):
    """`n` copies of `obj`; each keyword is a function of the copy's index giving that field."""
    copies = []
    for i in range(n):
        twin = copy.copy(obj)
        twin.pk = twin.id = None
        twin._state = ModelState()  # its own cache of related objects
        twin._state.db = obj._state.db
        for field, make in per_copy.items():
            setattr(twin, field, make(i))
        copies.append(twin)
    return type(obj).objects.bulk_create(copies)


def unique(prefix):
    batch = next(_serial)
    return lambda i: f"{prefix}-{batch}-{i}"


def claims_like(claim, n):
    """`n` claims like `claim`, each on its own sub-order, policy and refund request."""
    sub_orders = clone(claim.sub_order, n, sub_order_id=unique("so"))
    policies = clone(claim.policy, n, policy_no=unique("P"), sub_order=lambda i: sub_orders[i])
    requests = clone(claim.refund_request, n, refund_id=unique("rf"), sub_order=lambda i: sub_orders[i])
    return clone(
        claim,
        n,
        claim_id=unique("CL"),
        sub_order=lambda i: sub_orders[i],
        policy=lambda i: policies[i],
        refund_request=lambda i: requests[i],
    )


def with_related(claims, related, **fields):
    """One `related` row (a flag, a dispute, an appeal …) per claim, like `related`."""
    return clone(related, len(claims), claim=lambda i: claims[i], **fields)
