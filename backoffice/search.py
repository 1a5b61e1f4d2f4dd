"""The back office's search by identifiers, flat at a million rows (docs/performance.md).

Django's "=" and "^" search compare UPPER() of each column, which no index serves, and OR them
across joined tables, which reads every row: seconds at a million claims. Here each search field
is an identifier ("=claim_id" in full, "^claim_id" by its first characters, or a field with its
lookup, such as "tracking_number__tracking_prefix"), looked up on its own through its index:

- a term that is an identifier in full finds that record only, not the others it is the start of;
- otherwise the records whose identifiers start with it;
- each look-up gives a short list of keys (at most KEYS), and the list is filtered by them: a
  field of the model by its primary keys (`id IN (…)`), so that the planner, knowing how few they
  are, never reads the list's order index hoping to meet them early; a field across a relation
  ("^shop__name") by the related table's keys (`shop_id IN (…)`), so that the list's own index on
  the foreign key serves it in the list's order, however many rows the shop has.
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
# Rows one identifier may name (claims whose id starts with the term, shops whose name does …):
# a term that names more is too short to be a search.
KEYS = 500


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
    """A condition naming the rows `lookup` finds, by their keys, or None when it finds none."""
    relation, _, rest = lookup.partition("__")
    try:
        field = model._meta.get_field(relation)
    except FieldDoesNotExist:
        field = None
    if field is not None and field.is_relation and "__" in rest:
        table, lookup, column = field.related_model, rest, f"{relation}__in"
    else:
        table, column = model, "pk__in"
    try:
        keys = list(table._default_manager.filter(**{lookup: term}).values_list("pk", flat=True)[:KEYS])
    except (ValueError, ValidationError):
        return None  # the term cannot be this field's value (letters for a number)
    return Q(**{column: keys}) if keys else None
