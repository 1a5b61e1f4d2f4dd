"""Pages over lists that may hold a million rows, without counting them all on every page."""

from functools import cached_property
from typing import Any

from django.core.paginator import Paginator

PAGES_AHEAD = 10


class BoundedPaginator(Paginator[Any]):
    """Counts at most `pages_ahead` pages past the page asked for, so that a page of a list of a
    million rows costs what a page of a list of a thousand does. When there are more rows than
    that, `capped` is true and the labels say "at least" ("Page 1 of 11+", "550+ claims")."""

    def __init__(
        self, object_list: Any, per_page: int, *, near_page: int = 1, pages_ahead: int = PAGES_AHEAD, **kwargs: Any
    ) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.limit = (max(near_page, 1) + pages_ahead) * per_page

    @cached_property
    def _counted(self) -> int:
        if hasattr(self.object_list, "order_by"):
            # One row more than the limit tells whether there are more; the order does not matter.
            counted: int = self.object_list.order_by()[: self.limit + 1].count()
            return counted
        return len(self.object_list)

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.limit)

    @property
    def capped(self) -> bool:
        return self._counted > self.limit

    @property
    def count_label(self) -> str:
        return f"{self.count}+" if self.capped else str(self.count)

    @property
    def num_pages_label(self) -> str:
        return f"{self.num_pages}+" if self.capped else str(self.num_pages)


def page_number(value: Any) -> int:
    """The page a request asks for, as a number (1 for anything that is not one)."""
    try:
        number = int(value)
        return max(number, 1)
    except (TypeError, ValueError):
        return 1
