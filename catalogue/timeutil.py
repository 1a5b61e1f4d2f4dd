"""Time rules written once: Shanghai calendar days (R-EXIT-3) and working days (R-INV-2)."""

import datetime as dt
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai_date(moment):
    return moment.astimezone(SHANGHAI).date()


def shanghai_midnight(day):
    return dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)


def add_working_days(start, days, holidays):
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
