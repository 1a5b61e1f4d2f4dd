"""Return tracking numbers compared as the carrier means them (R-ABUSE-1, R-RET-2): `SF 1234 567`,
`sf-1234-567` and `SF1234567` are one number. Every place that matches tracking numbers uses the
`same_tracking` lookup (or `tracking_prefix`, the reviewer's search); the index claim_tracking_key
holds the very expression both compare."""

import copy

from django.contrib.postgres.indexes import OpClass
from django.db import models
from django.db.models import Func, Lookup


def tracking_key(value: str) -> str:
    """The number without spaces or dashes, in capitals."""
    return value.replace(" ", "").replace("-", "").upper()


class TrackingKey(Func):
    """SQL's tracking_key(): the same normalisation, for the index and the lookup."""

    template = "UPPER(REPLACE(REPLACE(%(expressions)s, ' ', ''), '-', ''))"
    output_field = models.CharField()


class PatternIndex(models.Index):
    """An expression index that serves `LIKE 'prefix%'` as well as `=`: on PostgreSQL its
    expressions take text_pattern_ops, since a default btree serves LIKE only in a database whose
    collation is C (production's need not be). Other databases get a plain index."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return super().create_sql(model, schema_editor, using, **kwargs)
        patterned = copy.copy(self)
        patterned.expressions = tuple(OpClass(e, name="text_pattern_ops") for e in self.expressions)
        return super(PatternIndex, patterned).create_sql(model, schema_editor, using, **kwargs)


@models.CharField.register_lookup
class SameTracking(Lookup):
    """`tracking_number__same_tracking="sf 1234-567"`: equal once both sides are normalised."""

    lookup_name = "same_tracking"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = compiler.compile(TrackingKey(self.lhs))
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = {rhs}", [*lhs_params, *(tracking_key(str(p)) for p in rhs_params)]


@models.CharField.register_lookup
class TrackingPrefix(Lookup):
    """`tracking_number__tracking_prefix="sf 1234"`: the normalised number starts with the
    normalised term (`LIKE 'SF1234%'`, which claim_tracking_key serves on PostgreSQL)."""

    lookup_name = "tracking_prefix"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = compiler.compile(TrackingKey(self.lhs))
        rhs, rhs_params = self.process_rhs(compiler, connection)
        patterns = [connection.ops.prep_for_like_query(tracking_key(str(p))) + "%" for p in rhs_params]
        return f"{lhs} {connection.operators['startswith'] % rhs}", [*lhs_params, *patterns]
