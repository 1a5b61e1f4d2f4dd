"""Time rules written once: Shanghai calendar days (R-EXIT-3) and working days (R-INV-2)."""

import datetime as dt
from collections.abc import Container
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(SHANGHAI).date()


def shanghai_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)


def add_working_days(start: dt.datetime, days: int, holidays: Container[dt.date]) -> dt.datetime:
    """The moment `days` working days after `start` (Shanghai calendar; weekends and holidays skipped).

    The deadline is the end of the last working day, so a request on Friday with 6 working days
    is due by the end of the following Monday week.
    """
    day = shanghai_date(start)
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            remaining -= 1
    return shanghai_midnight(day + dt.timedelta(days=1))


def working_days_left(now: dt.datetime, deadline: dt.datetime, holidays: Container[dt.date]) -> int | None:
    """What is left of an `add_working_days` deadline: the working days after today and before
    the deadline's day (so 0 on the last working day). Negative days do not exist: past the
    deadline the answer is None."""
    if now >= deadline:
        return None
    day, last = shanghai_date(now), shanghai_date(deadline)
    left = 0
    day += dt.timedelta(days=1)
    while day < last:
        if day.weekday() < 5 and day not in holidays:
            left += 1
        day += dt.timedelta(days=1)
    return left
