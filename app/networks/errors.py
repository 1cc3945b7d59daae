"""What can go wrong talking to a network, typed by what the user must do about it.

Treating every failure as "sign in again" is a known way to annoy users: only a real
authentication failure is NeedsSignIn.
"""

from __future__ import annotations

from datetime import datetime


class NetworkError(Exception):
    """A failure talking to a network; `str()` is a message a community manager understands."""


class Offline(NetworkError):
    """The server could not be reached (no network, DNS, refused, timed out)."""


class ServerTrouble(NetworkError):
    """The server answered with an error of its own (5xx) or with something unreadable."""


class RateLimited(NetworkError):
    def __init__(self, message: str, until: datetime | None) -> None:
        super().__init__(message)
        self.until = until


class NeedsSignIn(NetworkError):
    """The token or session was refused: only the user signing in again fixes it."""


class BadServerAddress(NetworkError):
    retry_later = False


class Rejected(NetworkError):
    """The network refused this request for good (post deleted, text too long, ...)."""


class OutcomeUnknown(NetworkError):
    """A post went out and no clear answer came back (a read timeout, a connection cut after
    sending, an error or an unreadable answer once the server may have acted). Whether the
    network has it is unknown until it is looked for: never simply posted again."""
