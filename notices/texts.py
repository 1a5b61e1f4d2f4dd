"""What a notice says, rendered when it is read (R-NOTE-1): a notice stores its event and the
event's parameters, never text frozen in the language of whoever triggered it. Each app that
publishes an event registers how it reads, per audience, so a merchant is told "you rejected"
where insurer staff read "the merchant rejected". The apps below `notices` cannot be imported
from here, hence a registry filled by the publishing apps' `ready()`."""

from collections.abc import Callable
from typing import Any, Protocol

from django.utils import translation


class Renderable(Protocol):
    event_type: str
    audience: str
    data: Any
    message: str


Text = Callable[[dict[str, Any], str], str]
TEXTS: dict[str, Text] = {}


def register(event_type: str) -> Callable[[Text], Text]:
    def add(text: Text) -> Text:
        TEXTS[event_type] = text
        return text

    return add


def render(notice: Renderable, language: str | None = None) -> str:
    """The notice in the active language (or `language`), written for its audience. Rows stored
    before events were rendered, or whose parameters no longer fit, fall back to their stored
    message rather than fail the inbox."""
    text = TEXTS.get(notice.event_type)
    if text is None:
        return notice.message
    with translation.override(language or translation.get_language()):
        try:
            return text(notice.data or {}, notice.audience)
        except (KeyError, ValueError, TypeError):
            return notice.message
