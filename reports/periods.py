"""Calendar months in Asia/Shanghai (R-BDX-1, R-STM-1): "2026-03" runs from 1 March 00:00 to
1 April 00:00, Shanghai time, whatever the server's clock zone."""

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernel.errors import DomainError, RuleViolation
from kernel.timeutil import shanghai_date, shanghai_midnight

PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class MalformedPeriod(DomainError):
    """Not of the form YYYY-MM (400)."""

    status = 400
    code = "invalid_period"


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> "Period":
        match = PERIOD.match((text or "").strip())
        if not match:
            raise MalformedPeriod(
                _("Give the month as YYYY-MM, e.g. 2026-03."), fields={"period": [_("Expected YYYY-MM.")]}
            )
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, moment: dt.datetime) -> "Period":
        day = shanghai_date(moment)
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    def next(self) -> "Period":
        return Period(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> "Period":
        return Period(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    @property
    def starts_at(self) -> dt.datetime:
        return shanghai_midnight(self.first_day)

    @property
    def ends_at(self) -> dt.datetime:
        """The first moment after the month (exclusive bound)."""
        return self.next().starts_at

    def bounds(self) -> dict:
        return {"gte": self.starts_at, "lt": self.ends_at}


def last_closed(now: dt.datetime | None = None) -> Period:
    """The month that most recently ended, in Shanghai."""
    return Period.of(now or timezone.now()).previous()


def require_closed(period: Period, now: dt.datetime | None = None) -> Period:
    """R-BDX-1: a bordereau is made once the month closes; a future or running month is refused."""
    now = now or timezone.now()
    if period.ends_at > now:
        raise RuleViolation(
            _("%(period)s has not closed yet (Shanghai time): a bordereau is made once its month is over.")
            % {"period": period},
            code="period_not_closed",
            fields={"period": [_("Choose a month that has ended.")]},
            rule="R-BDX-1",
        )
    return period
