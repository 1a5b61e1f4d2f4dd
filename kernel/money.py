"""Money is CNY in Decimal fen, rounded half-up (domain.md, preamble): one place for that rule."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import models

FEN = Decimal("0.01")


def to_fen(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


# Any, Any: what a field reads and takes depends on its null=, as for Django's own DecimalField.
class MoneyField(models.DecimalField[Any, Any]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)
