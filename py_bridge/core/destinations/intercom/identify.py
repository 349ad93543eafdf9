"""identify() and group(): who the Intercom session is about, and how a change of person reaches Intercom.

Identity changes are handled the way Intercom documents (shutdown, then boot the new user), which the CDP
integrations never do after a logout; an identify of the known user (an email change included) is an update.

With identity_verification, an identify that introduces a user without its credential is held back. When that user
is someone other than the one the session holds, the session is also ended and a fresh visitor booted: the page has
said the person changed, so the previous user's conversations must not stay on screen and no later call may be
attributed to them. A visitor (rather than holding every call) keeps the Messenger usable and loses nothing; when
the signed identify arrives the visitor becomes that user by an ordinary update.

`decide` reads the call and the session and says what to do; `Identification` does it to the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from py_bridge.core.commands import Command, Log
from py_bridge.core.credentials import CREDENTIAL_KEYS
from py_bridge.core.destinations.intercom.mapping import PER_CALL_SETTINGS, company_payload, credentials, user_payload
from py_bridge.core.destinations.intercom.session import Session
from py_bridge.core.destinations.intercom.settings import IntercomSettings
from py_bridge.core.events import Event
from py_bridge.core.notes import Notes

__all__ = ["HoldBack", "Identification", "Identified", "decide"]


@dataclass(frozen=True)
class HoldBack:
    """An identify not sent: identity verification is on and the call lacks the credential for who it names."""

    user_id: Any
    email: Any
    credential: str  # the option the call should have carried: user_hash or intercom_user_jwt


@dataclass(frozen=True)
class Identified:
    """An identify to send: its data and credentials, the keys to send even where Intercom holds the same value,
    whether it names another person than the session's (a shutdown first), and who the session is about then."""

    data: dict[str, Any]
    creds: dict[str, Any]
    force: tuple[str, ...]
    switch: bool
    user_id: Any
    email: Any


def decide(event: Event, settings: IntercomSettings, session: Session, notes: Notes) -> Identified | HoldBack:
    """What an identify means for `session` (only read here): a switch of person, the known user's update, or a
    call held back for its missing credential."""
    data = user_payload(event, settings, notes)
    creds = credentials(event.options)
    for key in sorted(PER_CALL_SETTINGS):  # hide_default_launcher, language_override from options only
        value = creds.pop(key, None)
        if value is not None:
            data[key] = value
    # analytics.js keeps the current userId for identify() without one: such a call is about the known user
    # (an email change included), never a new identity (nor the anonymous id of send_anonymous_id).
    known_user = event.user_id is None and session.user_id is not None
    if known_user:
        data.pop("user_id", None)
    user_id = session.user_id if known_user else data.get("user_id")
    email = data.get("email")
    is_switch = bool(
        (user_id and session.user_id and user_id != session.user_id)
        or (not user_id and not session.user_id and email and session.email and email != session.email)
    )
    new_identity = bool(user_id and user_id != session.user_id) or bool(
        not user_id and email and email != session.email
    )
    needed = settings.identity_verification
    credential = "intercom_user_jwt" if needed == "jwt" else "user_hash"
    if new_identity and needed and credential not in creds:
        return HoldBack(user_id, email, credential)
    force: tuple[str, ...] = ()
    if not new_identity:
        for key in CREDENTIAL_KEYS:
            if key in creds and creds[key] == session.sent.get(key):
                creds.pop(key)  # this session already carries it; do not resend
        if creds:
            # A credential new to this session (e.g. the hash arrives after a refused identify): resend the
            # identity with it, even though Intercom already "holds" the same user_id.
            force = (*CREDENTIAL_KEYS, "user_id", "email")
            if session.user_id:
                data.setdefault("user_id", session.user_id)
        elif known_user and needed and email and email != session.email:
            # The verified user's new email: an update of that user, carrying the session's identity and
            # credential so it is applied to the verified user (the hash signs the user_id, not the email).
            if credential not in session.sent:
                return HoldBack(user_id, email, credential)
            data["user_id"] = session.user_id
            data[credential] = session.sent[credential]
            force = ("user_id", credential)
    return Identified(data, creds, force, is_switch, user_id, email)


class Identification:
    """Applies identify() and group() to the session: who it is about, and the company that follows them."""

    def __init__(self, settings: IntercomSettings, session: Session) -> None:
        self.settings = settings
        self.session = session

    def identify(self, event: Event, notes: Notes) -> list[Command]:
        decision = decide(event, self.settings, self.session, notes)
        if isinstance(decision, HoldBack):
            return self._hold_back(decision)
        session = self.session
        commands: list[Command] = []
        if decision.switch and session.booted:
            # Another user on this page: Intercom documents shutdown + boot; an update would merge two people.
            commands += [*session.end(), Log("debug", "identity changed: shutdown, then boot the new user")]
        data = dict(decision.data)
        if isinstance(data.get("company"), dict):
            session.company = data["company"]
        elif session.company and "companies" not in data:
            data["company"] = session.company  # group() before identify(): the company follows the user
        if decision.user_id:
            session.user_id = str(decision.user_id)
        if decision.email:
            session.email = str(decision.email)
        return [*commands, *session.boot_or_update({**data, **decision.creds}, decision.force)]

    def group(self, event: Event, notes: Notes) -> list[Command]:
        if event.group_id is None:
            notes.warn("group: a groupId is required (Intercom needs a company id); call dropped")
            return []
        company = company_payload(event.traits, notes, nested=self.settings.nested, company_id=event.group_id)
        if company is None:
            return []
        self.session.company = company
        return self.session.boot_or_update({"company": company})

    def _hold_back(self, held: HoldBack) -> list[Command]:
        """An identify whose credential is missing: not sent. If it names someone other than the session's user,
        that session ends and a visitor is booted, so nothing later is attributed to the previous user."""
        session = self.session
        session.stats.held_back += 1
        who = f"user {held.user_id!r}" if held.user_id else "an email-only user"
        warning = Log(
            "warn",
            f"identify for {who} held back: identity_verification is {self.settings.identity_verification!r} but "
            f"options.integrations.Intercom.{held.credential} is missing; compute it on your server and pass it to "
            "identify()",
        )
        someone_else = bool(session.user_id and held.user_id != session.user_id) or bool(
            not session.user_id and session.email and held.email != session.email
        )
        if not (session.booted and someone_else):
            return [warning]
        ended = session.end()
        return [
            *ended,
            *session.boot({}),
            warning,
            Log("info", "the previous user's Intercom session was ended; a visitor continues until a signed identify"),
        ]
