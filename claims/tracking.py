"""Return tracking numbers compared as the carrier means them (R-ABUSE-1, R-RET-2): `SF 1234 567`,
`sf-1234-567` and `SF1234567` are one number. Every place that matches tracking numbers uses the
`same_tracking` lookup; the index claim_tracking_key holds the very expression it compares."""

from django.db import models
from django.db.models import Func, Lookup


def tracking_key(value: str) -> str:
    """The number without spaces or dashes, in capitals."""
    return value.replace(" ", "").replace("-", "").upper()


class TrackingKey(Func):
    """SQL's tracking_key(): the same normalisation, for the index and the lookup."""

    template = "UPPER(REPLACE(REPLACE(%(expressions)s, ' ', ''), '-', ''))"
    output_field = models.CharField()


@models.CharField.register_lookup
class SameTracking(Lookup):
    """`tracking_number__same_tracking="sf 1234-567"`: equal once both sides are normalised."""

    lookup_name = "same_tracking"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = compiler.compile(TrackingKey(self.lhs))
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = {rhs}", [*lhs_params, *(tracking_key(str(p)) for p in rhs_params)]
