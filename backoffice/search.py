"""The back office's search by identifiers, flat at a million rows (docs/performance.md).

Django's "=" and "^" search compare UPPER() of each column, which no index serves, and OR them
across joined tables, which reads every row: seconds at a million claims. Here each search field
is an identifier ("=claim_id" in full, "^claim_id" by its first characters, or a field with its
lookup, such as "tracking_number__tracking_prefix"), looked up on its own through its index:

- a term that is an identifier in full finds that record only, not the others it is the start of;
- otherwise the records whose identifiers start with it;
- a field across a relation ("^shop__name") is looked up in the related table first, and the list
  filtered by the keys found (`shop_id IN (…)`), so that the list's own index on the foreign key
  serves it in the list's order, however many rows the shop has.
"""

from functools import reduce
from operator import or_

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Q

# Each lookup an index serves when the term is a literal, and the one a term in full is tried with
# first: equality, and a prefix (on PostgreSQL through a pattern_ops index, `LIKE 'term%'`).
IN_FULL = {
    "exact": "exact",
    "iexact": "iexact",
    "same_tracking": "same_tracking",
    "startswith": "exact",
    "tracking_prefix": "same_tracking",
}
# Rows of a related table one term may name (shops whose name starts with it …).
RELATED_CAP = 500


def identifier_lookup(field):
    """'=claim_id' → 'claim_id__exact'; '^claim_id' → 'claim_id__startswith' (as written: unlike
    Django's '^', not case-blind, which no index serves); 'tracking_number__tracking_prefix' as
    written; other search fields (contains) → None."""
    if field.startswith("="):
        return f"{field[1:]}__exact"
    if field.startswith("^"):
        return f"{field[1:]}__startswith"
    return field if field.rsplit("__", 1)[-1] in IN_FULL else None


def search_identifiers(model, queryset, search_fields, term):
    """`queryset` narrowed to the rows `term` names, or None where a search field is not an
    identifier (then Django's own search applies). The outer queryset keeps the viewer's scope."""
    lookups = [identifier_lookup(field) for field in search_fields]
    if not lookups or None in lookups:
        return None
    in_full = [_in_full(lookup) for lookup in lookups]
    for attempt in [in_full] if in_full == lookups else [in_full, lookups]:
        branches = [b for b in (_branch(model, lookup, term) for lookup in dict.fromkeys(attempt)) if b is not None]
        if branches:
            return queryset.filter(reduce(or_, branches))
    return queryset.none()


def _in_full(lookup):
    path, _, name = lookup.rpartition("__")
    return f"{path}__{IN_FULL[name]}"


def _branch(model, lookup, term):
    """A condition naming the rows `lookup` finds, or None when it finds none."""
    relation, _, rest = lookup.partition("__")
    try:
        field = model._meta.get_field(relation)
    except FieldDoesNotExist:
        field = None
    try:
        if field is not None and field.is_relation and "__" in rest:
            keys = list(
                field.related_model._default_manager.filter(**{rest: term}).values_list("pk", flat=True)[:RELATED_CAP]
            )
            return Q(**{f"{relation}__in": keys}) if keys else None
        condition = Q(**{lookup: term})
        return condition if model._default_manager.filter(condition).exists() else None
    except (ValueError, ValidationError):
        return None  # the term cannot be this field's value (letters for a number)
