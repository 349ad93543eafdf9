"""Messenger controls: what the page may ask of the Messenger itself (`pybridge.intercom.show()`, `showSpace`, ...).

Arguments come from the page, so each control is checked here, once, for both entries: a control that is not one,
or whose argument Intercom would misread (a space that does not exist, an id that is not a whole number), becomes a
warning instead of a call. Pure: the destination decides whether the Messenger is there to receive the call.
"""

from __future__ import annotations

import re
from typing import Any, Final

from py_bridge.core.commands import IntercomCall, MessengerEvent

__all__ = ["LISTENABLE", "MAX_MESSAGE", "SPACES", "control_call"]

SPACES: Final = frozenset({"home", "messages", "help", "news", "tasks", "tickets"})
MAX_MESSAGE: Final = 1000
LISTENABLE: Final[tuple[MessengerEvent, ...]] = ("show", "hide", "unread")  # what intercom.on() may listen to
_ID_RE: Final = re.compile(r"\d{1,18}")


def control_call(method: str, args: list[Any]) -> IntercomCall | str:
    """The Intercom call for `intercom.<method>(*args)`, or the warning that says why there is none."""
    first = args[0] if args else None
    if method in ("show", "hide", "showMessages"):
        return IntercomCall(method)
    if method == "showNewMessage":
        if first is None:
            return IntercomCall(method)
        if not isinstance(first, str):
            return "intercom.showNewMessage(text): text must be a string; ignored"
        return IntercomCall(method, (first[:MAX_MESSAGE],))
    if method == "showSpace":
        if first not in SPACES:
            names = ", ".join(sorted(SPACES))
            return f"intercom.showSpace(name): name must be one of {names} (received: {str(first)[:40]!r}); ignored"
        return IntercomCall(method, (first,))
    if method in ("showArticle", "startTour", "startSurvey"):
        text = str(first) if isinstance(first, int | str) and not isinstance(first, bool) else ""
        if not _ID_RE.fullmatch(text.strip()):
            shown = str(first)[:40]
            return f"intercom.{method}(id): id must be a positive whole number (received: {shown!r}); ignored"
        return IntercomCall(method, (int(text),))
    return f"intercom.{str(method)[:40]}() is not a Messenger control; ignored"
