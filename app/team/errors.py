"""What can go wrong with the team's server, in words the user can act on."""

from __future__ import annotations


class TeamError(Exception):
    """A team problem the user can understand (its text says what to do)."""


class NotJoined(TeamError):
    def __init__(self) -> None:
        super().__init__(
            "This workspace has not joined a team: use 'heedful team join --server "
            "nats://HOST:4222 --team NAME --user NAME' (or File → Join a team…)."
        )


class TeamOffline(TeamError):
    """The team's server cannot be reached now; changes wait in the team outbox."""


class TeamRefused(TeamError):
    """The server refused us: wrong user or password, or no permission for the team."""


class TeamAddressError(TeamError):
    """The server address cannot be used."""
