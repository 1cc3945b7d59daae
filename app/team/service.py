"""Joining a team, its status, exchanging with it, and what to do about conflicts: one service
for the command line and the window (blocking calls: the window makes them off its GUI thread).

The network client (nats-py) is imported on the first call that needs it, never at start-up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from storage.records import TriageStatus, from_timestamp, utc_now
from storage.store import Store
from storage.team.holds import ReplyHold, ReplyHoldRepository
from storage.team.membership import Membership, MembershipRepository
from storage.team.outbox import TeamOutboxRepository
from storage.team.state import Conflict, TeamStateRepository

from app.inbox.triage import TriageChange, TriageService
from app.secrets import SecretStore
from app.team.claims import Claim, ClaimAnswer, ClaimResult, ReplyGate
from app.team.errors import NotJoined, TeamAddressError, TeamRefused
from app.team.keys import key_finder
from app.team.wire import TeamMentionKey, TeamNameError, check_team_name

if TYPE_CHECKING:  # the network client loads with the first call that needs it
    from app.team.claims import ClaimCall
    from app.team.connection import TeamCredentials
    from app.team.status import ExchangeReport

log = logging.getLogger(__name__)
T = TypeVar("T")

CREDENTIAL_KINDS = ("password", "token", "creds")


@dataclass(frozen=True, slots=True)
class TeamFacts:
    """Where the workspace stands with its team, from the store alone (no network)."""

    membership: Membership | None
    waiting: int  # changes not yet on the server
    unconfirmed: int  # changes not yet back through the stream
    rejected: int  # messages refused as malformed

    @property
    def joined(self) -> bool:
        return self.membership is not None


def secret_name(server: str, team: str, user: str) -> str:
    return f"team:{server}:{team}:{user}"


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end from blocking code: a command, or a worker thread (never
    the window's GUI thread, whose loop qasync runs; the store is this thread's)."""
    return asyncio.run(coroutine)


class TeamService:
    def __init__(
        self,
        store: Store,
        secrets: SecretStore,
        agent_name: Callable[[], str],
        triage: TriageService | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._secrets = secrets
        self._agent_name = agent_name
        self._triage = triage
        self._clock = clock
        self.memberships = MembershipRepository(store)
        self.outbox = TeamOutboxRepository(store)
        self.state = TeamStateRepository(store)
        self.key_of = key_finder(store)
        self.holds = ReplyHoldRepository(store)
        # The sender's reply gate (bootstrap sets it): held replies' choices go through it.
        self.gate: ReplyGate = ReplyGate(store, self.key_of, self.claim_call(), agent_name)

    # --- membership ------------------------------------------------------------------------

    def membership(self) -> Membership | None:
        return self.memberships.get()

    def facts(self) -> TeamFacts:
        return TeamFacts(
            self.memberships.get(),
            self.outbox.count_waiting(),
            self.outbox.count_unconfirmed(),
            len(self.state.rejected()),
        )

    def credentials(self, membership: Membership | None = None) -> TeamCredentials:
        """This user's credentials for the team's server, from the keyring."""
        from app.team.connection import TeamCredentials

        membership = membership or self.memberships.get()
        if membership is None:
            raise NotJoined()
        secret = self._secrets.get(secret_name(membership.server, membership.team, membership.user))
        if secret is None:
            raise TeamRefused(
                "The keyring holds no password for the team: join again "
                f"('heedful team join --server {membership.server} --team {membership.team} "
                f"--user {membership.user}')."
            )
        return TeamCredentials.from_secret(secret)

    def join(
        self, server: str, team: str, user: str, secret: str, kind: str = "password"
    ) -> ExchangeReport:
        """Check the server takes these credentials, keep them in the keyring, join, and
        read what the team has so far. Raises TeamOffline, TeamRefused, TeamAddressError."""
        from app.team.connection import TeamCredentials, check_server_address
        from app.team.link import exchange

        address = check_server_address(server)
        try:
            name = check_team_name(team)
        except TeamNameError as problem:
            raise TeamAddressError(str(problem)) from problem
        user = user.strip()
        if not user or len(user) > 80:
            raise TeamAddressError("A user name is 1 to 80 characters.")
        if kind not in CREDENTIAL_KINDS:
            raise ValueError(f"not a kind of credential: {kind!r}")
        credentials = TeamCredentials(
            user=user,
            password=secret if kind == "password" else "",
            token=secret if kind == "token" else "",
            creds_file=secret if kind == "creds" else "",
        )
        # Verified before anything is kept: a wrong password is said now, not at each sync.
        _run(self._verify(address, name, credentials))
        self._secrets.put(secret_name(address, name, user), credentials.as_secret())
        membership = self.memberships.join(address, name, user, self._clock())
        log.info("joined team %s on %s as %s", name, address, user)
        return _run(
            exchange(
                self._store,
                membership,
                credentials,
                agent_name=self._agent_name,
            )
        )

    async def _verify(self, server: str, team: str, credentials: TeamCredentials) -> None:
        from app.team.connection import TeamConnection
        from app.team.wire import TeamLayout

        connection = await TeamConnection.open(
            server, credentials, TeamLayout(team), reconnect=False
        )
        try:
            await connection.ensure_layout()
        finally:
            await connection.close()

    def leave(self) -> None:
        membership = self.memberships.get()
        if membership is None:
            return
        self._secrets.delete(secret_name(membership.server, membership.team, membership.user))
        self.memberships.leave()

    # --- exchanging ------------------------------------------------------------------------

    def exchange(self, connect_timeout: float = 3.0) -> ExchangeReport:
        """Publish what waits and apply the stream to its end (TeamOffline when unreachable)."""
        from app.team.link import exchange

        membership = self.memberships.get()
        if membership is None:
            raise NotJoined()
        return _run(
            exchange(
                self._store,
                membership,
                self.credentials(membership),
                agent_name=self._agent_name,
                connect_timeout=connect_timeout,
            )
        )

    def probe(self, connect_timeout: float = 2.0) -> bool:
        """Whether the team's server answers now."""
        from app.team.errors import TeamOffline

        membership = self.memberships.get()
        if membership is None:
            return False
        try:
            _run(self._verify(membership.server, membership.team, self.credentials(membership)))
        except TeamOffline:
            return False
        return True

    def claim_call(self) -> ClaimCall:
        """What the reply gate calls to take a mention's claim (blocking, its own connection).
        The NATS client is imported at the first claim, never when the workspace is built."""

        def claim(key: TeamMentionKey, mine: Claim, force: bool) -> ClaimResult:
            from app.team.link import claim_once

            membership = self.memberships.get()
            if membership is None:
                return ClaimResult(ClaimAnswer.GRANTED)
            try:
                credentials = self.credentials(membership)
            except TeamRefused:
                return ClaimResult(ClaimAnswer.UNREACHABLE)
            return _run(claim_once(membership, credentials, key, mine, force))

        return claim

    def held_replies(self) -> list[ReplyHold]:
        return self.holds.all_waiting()

    # --- conflicts ---------------------------------------------------------------------------

    def conflicts(self, mention_id: int) -> list[Conflict]:
        key = self.key_of(mention_id)
        return [] if key is None else self.state.conflicts_for(key.digest)

    def apply_mine_anyway(self, conflict_uuid: str) -> TriageChange:
        """Write the change that was not applied again, against the team's current version."""
        if self._triage is None:
            raise RuntimeError("no triage service")
        with self._store.write():
            conflict = self.state.conflict(conflict_uuid)
            if conflict is None:
                raise KeyError(conflict_uuid)
            mention_id = self.state.local_mention(conflict.mkey)
            if mention_id is None:
                raise KeyError(conflict_uuid)
            change = self._rewrite(mention_id, conflict)
            self.state.resolve_conflict(conflict_uuid, self._clock())
        return change

    def _rewrite(self, mention_id: int, conflict: Conflict) -> TriageChange:
        assert self._triage is not None
        value = conflict.mine_value
        if conflict.field == "status":
            return self._triage.set_status([mention_id], TriageStatus(value or "new"))
        if conflict.field == "assignee":
            return self._triage.assign([mention_id], value)
        if conflict.field == "priority":
            return self._triage.set_priority([mention_id], int(value or 0))
        if value is None:
            return self._triage.unsnooze([mention_id])
        return self._triage.snooze([mention_id], from_timestamp(value))
