"""What the payouts need from a payment provider (R-PAY-6, R-PAY-7), so that a bank-file provider
can follow Alipay: send a transfer, ask what became of one, and fetch a day's statement."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class Result:
    CONFIRMED = "confirmed"  # the money left
    REFUSED = "refused"  # definitively not made: the provider said why
    UNKNOWN = "unknown"  # time-out, connection error, 5xx, "system busy", still processing
    ABSENT = "absent"  # (query only) the provider has no transfer under this number


@dataclass(frozen=True)
class Transfer:
    out_biz_no: str
    payee: str
    amount: Decimal
    title: str


@dataclass(frozen=True)
class Outcome:
    result: str
    order_id: str = ""
    paid_at: dt.datetime | None = None
    code: str = ""
    reason: str = ""


@dataclass(frozen=True)
class BillLine:
    number: int  # the line's number in the bill file, for staff looking at the original
    out_biz_no: str
    payee: str
    amount: Decimal
    text: str


@dataclass
class Bill:
    lines: list[BillLine] = field(default_factory=list)
    unreadable: list[dict] = field(default_factory=list)  # {"line", "text", "problem"}


class BillUnavailable(Exception):
    """The statement could not be fetched at all (the provider is down, or has none yet)."""


class Provider(Protocol):
    def transfer(self, transfer: Transfer) -> Outcome: ...

    def query(self, out_biz_no: str) -> Outcome: ...

    def bill(self, day: dt.date) -> Bill: ...


def get_provider() -> Provider:
    return import_string(settings.PAYMENT_PROVIDER).from_settings()
