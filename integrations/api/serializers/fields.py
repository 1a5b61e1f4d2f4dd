"""The API's field types: times with their offset, money, ids, comma-separated choices."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from kernel.filters import EARLIEST, LATEST
from kernel.timeutil import SHANGHAI

MAX_BATCH = 1000


class Time(serializers.DateTimeField):
    """An ISO 8601 time that must carry its UTC offset; shown in Asia/Shanghai with its offset."""

    default_error_messages = {
        "naive": _("Give the time with its UTC offset, e.g. 2026-03-01T10:00:00+08:00."),
        "out_of_range": _("The time must lie between the years 2000 and 2100."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("default_timezone", SHANGHAI)
        super().__init__(**kwargs)

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("naive")
        if not (EARLIEST <= value <= LATEST):
            self.fail("out_of_range")
        return super().enforce_timezone(value)


class Money(serializers.DecimalField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)


def ident(**kwargs):
    return serializers.CharField(max_length=64, **kwargs)


def related_row(obj, name):
    """A reverse one-to-one loaded with select_related, or None when there is none."""
    return getattr(obj, name, None)
