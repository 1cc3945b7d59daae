"""The live link to the team: publish our changes, apply teammates', presence, reply claims.

`TeamLink.run` keeps one connection open for as long as the window (or `heedful team
listen`) runs: it reconnects on its own, publishes the team outbox in order whenever there is
something in it, applies the stream as it grows (a batch per transaction, committed with its
sequence), and keeps this laptop's presence fresh. `exchange` is the one-shot version for
the command line: publish everything waiting, read up to the stream's end, and return.

Everything here runs on one asyncio loop and one store connection of its own (a thread of
its own under the window: `app.team.runtime`), so the GUI thread never waits on the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import nats.errors
import nats.js.errors
from nats.aio.msg import Msg

from storage.records import utc_now
from storage.store import Store
from storage.team.membership import Membership, MembershipRepository
from storage.team.outbox import TeamOutboxRepository

from app.team.apply import AppliedBatch, TeamApplier
from app.team.claims import Claim, ClaimAnswer, ClaimResult
from app.team.connection import TeamConnection, TeamCredentials
from app.team.errors import TeamError, TeamOffline, TeamRefused
from app.team.presence import (
    REFRESH_S,
    Activity,
    Presence,
    PresenceBoard,
    decode_presence,
    encode_presence,
    presence_key,
)
from app.team.status import ExchangeReport, TeamListener, TeamStatus
from app.team.wire import MalformedEvent, TeamLayout, TeamMentionKey

log = logging.getLogger(__name__)

PULL_BATCH = 500
PULL_WAIT_S = 2.0
RETRY_MAX_S = 3.0


class TeamLink:
    def __init__(
        self,
        store: Store,
        membership: Membership,
        credentials: TeamCredentials,
        *,
        agent_name: Callable[[], str],
        listener: TeamListener | None = None,
    ) -> None:
        self.store = store
        self.membership = membership
        self.credentials = credentials
        self.layout = TeamLayout(membership.team)
        self._agent_name = agent_name
        self.listener = listener
        self.applier = TeamApplier(store, self.layout, lambda: (agent_name(), membership.user))
        self.outbox = TeamOutboxRepository(store)
        self.memberships = MembershipRepository(store)
        self.board = PresenceBoard(membership.user)
        self.connection: TeamConnection | None = None
        self._mine: dict[str, Activity] = {}  # my presence, by mention digest
        self._wake: asyncio.Event | None = None
        self._presence_changed: asyncio.Event | None = None
        self._connected: asyncio.Event | None = None
        self._status_detail = ""

    # --- what other threads ask (through the runtime's loop) ------------------------------------

    def wake(self) -> None:
        """Something was added to the team outbox: publish it now."""
        if self._wake is not None:
            self._wake.set()

    def set_presence(self, mention: str, activity: Activity | None) -> None:
        """Our presence on a mention (None: we left it). Viewing and typing move with the
        selection; a queued reply stays until it is sent."""
        if activity in (Activity.VIEWING, Activity.TYPING, None):
            for digest, current in list(self._mine.items()):
                if digest != mention and current in (Activity.VIEWING, Activity.TYPING):
                    self._mine.pop(digest)
                    self._forget_presence(digest)
        if activity is None:
            if self._mine.pop(mention, None) is not None:
                self._forget_presence(mention)
        else:
            self._mine[mention] = activity
        if self._presence_changed is not None:
            self._presence_changed.set()

    async def claim(self, key: TeamMentionKey, mine: Claim, force: bool) -> ClaimResult:
        connected = self._connected
        if connected is None:
            return ClaimResult(ClaimAnswer.UNREACHABLE)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(connected.wait(), timeout=3.0)
        if self.connection is None or not self.connection.connected:
            return ClaimResult(ClaimAnswer.UNREACHABLE)
        return await take_claim(self.connection, key, mine, force)

    # --- running -------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        self._wake = asyncio.Event()
        self._presence_changed = asyncio.Event()
        self._connected = asyncio.Event()
        delay = 0.5
        while not stop.is_set():
            try:
                connection = await TeamConnection.open(
                    self.membership.server,
                    self.credentials,
                    self.layout,
                    reconnect=True,
                    on_state=self._on_state,
                    name=f"heedful {self.membership.user}",
                )
            except TeamError as problem:
                self._offline(str(problem))
                await _wait_any(stop, self._wake, timeout=delay)
                delay = min(RETRY_MAX_S, delay * 2)
                continue
            delay = 0.5
            self.connection = connection
            try:
                await connection.ensure_layout()
                # Listening to presence before saying "connected": nothing said after that
                # moment is missed.
                await connection.watch_presence(self._on_presence)
                await self._load_presence(connection)
                self._connected.set()
                self._online()
                await self._serve(connection, stop)
            except TeamError as problem:
                self._offline(str(problem))
            except (TimeoutError, nats.errors.Error, OSError) as problem:
                self._offline(f"The team's server went away ({type(problem).__name__}).")
            finally:
                self._connected.clear()
                self.connection = None
                await self._say_goodbye(connection)
                await connection.close()
            if not stop.is_set():
                await _wait_any(stop, self._wake, timeout=delay)

    async def _serve(self, connection: TeamConnection, stop: asyncio.Event) -> None:
        tasks = [
            asyncio.create_task(self._publisher(connection), name="team-publish"),
            asyncio.create_task(self._puller(connection), name="team-pull"),
            asyncio.create_task(self._presence_writer(connection), name="team-presence"),
            asyncio.create_task(self._presence_expirer(), name="team-presence-expiry"),
        ]
        stopping = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait([stopping, *tasks], return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not stopping and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            for task in [stopping, *tasks]:
                task.cancel()
            await asyncio.gather(stopping, *tasks, return_exceptions=True)

    async def _on_state(self, connected: bool) -> None:
        if self._connected is None:
            return
        if connected:
            self._connected.set()
            self._online()
            if self._wake is not None:
                self._wake.set()  # publish what waited while the connection was down
        else:
            self._connected.clear()
            self._offline("The connection to the team's server was lost; reconnecting.")

    def _online(self) -> None:
        self._status_detail = ""
        self.memberships.note_exchange(utc_now())
        self._tell_status(True)

    def _offline(self, detail: str) -> None:
        if detail != self._status_detail:
            log.info("team %s offline: %s", self.membership.team, detail)
        self._status_detail = detail
        with contextlib.suppress(Exception):
            self.memberships.note_exchange(utc_now(), error=detail)
        self._tell_status(False)

    def _tell_status(self, connected: bool) -> None:
        if self.listener is None:
            return
        membership = self.memberships.get()
        self.listener.team_status_did_change(
            TeamStatus(
                team=self.membership.team,
                connected=connected,
                waiting=self.outbox.count_waiting(),
                last_exchange_at=None if membership is None else membership.last_exchange_at,
                detail=self._status_detail,
            )
        )

    # --- publishing and pulling ------------------------------------------------------------------

    async def _publisher(self, connection: TeamConnection) -> None:
        assert self._wake is not None
        while True:
            self._wake.clear()
            try:
                sent = await self.publish_waiting(connection)
            except (TimeoutError, TeamOffline, nats.errors.Error):
                sent = 0
                await asyncio.sleep(0.5)
                continue
            if sent:
                self._tell_status(connection.connected)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=5.0)

    async def publish_waiting(self, connection: TeamConnection) -> int:
        """Publish the team outbox in order; returns how many the server acknowledged."""
        published = 0
        while True:
            waiting = self.outbox.to_publish(limit=1000)
            if not waiting:
                return published
            acknowledged = await connection.publish(
                [(e.uuid, self.layout.subject_for(e.event_type), e.payload) for e in waiting]
            )
            self.outbox.mark_published(acknowledged, utc_now())
            published += len(acknowledged)
            if len(acknowledged) < len(waiting):
                return published  # the rest goes at the next attempt

    async def _puller(self, connection: TeamConnection) -> None:
        while True:
            try:
                batch = await self.pull_once(connection, PULL_WAIT_S)
            except (TimeoutError, nats.errors.Error, nats.js.errors.Error) as problem:
                log.debug("team: reading the stream failed (%s); again soon", problem)
                await asyncio.sleep(0.5)
                continue
            if batch.applied or batch.rejected:
                self.memberships.note_exchange(utc_now())
                if self.listener is not None:
                    self.listener.team_did_apply(batch)

    async def pull_once(self, connection: TeamConnection, wait: float) -> AppliedBatch:
        membership = self.memberships.get()
        after = 0 if membership is None else membership.applied_seq
        messages = await connection.fetch(after, PULL_BATCH, wait)
        return self.applier.apply(messages)

    # --- presence ----------------------------------------------------------------------------

    async def _presence_writer(self, connection: TeamConnection) -> None:
        assert self._presence_changed is not None
        while True:
            self._presence_changed.clear()
            kv = connection.presence
            if kv is not None:
                for digest, activity in list(self._mine.items()):
                    mine = Presence(digest, self.membership.user, self._agent_name(), activity)
                    try:
                        await kv.put(
                            presence_key(digest, self.membership.user), encode_presence(mine)
                        )
                    except (TimeoutError, nats.errors.Error, nats.js.errors.Error):
                        break
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._presence_changed.wait(), timeout=REFRESH_S)

    def _forget_presence(self, digest: str) -> None:
        connection = self.connection
        if connection is None or connection.presence is None:
            return
        kv = connection.presence
        key = presence_key(digest, self.membership.user)

        async def delete() -> None:
            with contextlib.suppress(nats.errors.Error, nats.js.errors.Error, asyncio.TimeoutError):
                await kv.delete(key)

        with contextlib.suppress(RuntimeError):  # no running loop: the link has stopped
            asyncio.get_running_loop().create_task(delete())

    async def _say_goodbye(self, connection: TeamConnection) -> None:
        """Leaving cleanly: our presence goes at once rather than when it expires."""
        kv = connection.presence
        if kv is None or not connection.connected:
            return
        for digest in list(self._mine):
            with contextlib.suppress(nats.errors.Error, nats.js.errors.Error, asyncio.TimeoutError):
                await asyncio.wait_for(
                    kv.delete(presence_key(digest, self.membership.user)), timeout=1.0
                )

    async def _load_presence(self, connection: TeamConnection) -> None:
        kv = connection.presence
        if kv is None:
            return
        try:
            keys = await kv.keys()
        except nats.js.errors.NoKeysError:
            return
        except (TimeoutError, nats.errors.Error, nats.js.errors.Error):
            return
        changed = False
        for key in keys:
            try:
                entry = await kv.get(key)
            except (nats.errors.Error, nats.js.errors.Error):
                continue
            if entry.value:
                changed |= self._heard(key, entry.value)
        if changed:
            self._tell_presence()

    async def _on_presence(self, message: Msg) -> None:
        key = message.subject.removeprefix(f"$KV.{self.layout.presence_bucket}.")
        operation = (message.headers or {}).get("KV-Operation")
        if operation in ("DEL", "PURGE"):
            changed = self.board.heard(key, None)
        else:
            changed = self._heard(key, message.data)
        if changed:
            self._tell_presence()

    def _heard(self, key: str, data: bytes) -> bool:
        try:
            presence = decode_presence(data)
        except MalformedEvent as problem:
            log.warning("team: ignored a presence entry: %s", problem)
            return False
        return self.board.heard(key, presence)

    async def _presence_expirer(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            if self.board.expire():
                self._tell_presence()

    def _tell_presence(self) -> None:
        if self.listener is not None:
            self.listener.presence_did_change(self.board.snapshot())


async def take_claim(
    connection: TeamConnection, key: TeamMentionKey, mine: Claim, force: bool
) -> ClaimResult:
    """Create the mention's claim if nobody has it; a claim of this same reply is ours."""
    kv = connection.claims
    if kv is None:
        return ClaimResult(ClaimAnswer.UNREACHABLE)
    try:
        if force:
            await kv.put(key.digest, mine.encode())
            return ClaimResult(ClaimAnswer.GRANTED)
        try:
            await kv.create(key.digest, mine.encode())
            return ClaimResult(ClaimAnswer.GRANTED)
        except nats.js.errors.KeyWrongLastSequenceError:
            entry = await kv.get(key.digest)
        try:
            holder = Claim.decode(entry.value or b"")
        except MalformedEvent:
            log.warning("team: a malformed claim on a mention; taking it over")
            await kv.put(key.digest, mine.encode())
            return ClaimResult(ClaimAnswer.GRANTED)
        if holder.reply_id == mine.reply_id:
            return ClaimResult(ClaimAnswer.GRANTED, holder)
        return ClaimResult(ClaimAnswer.HELD, holder)
    except (TimeoutError, nats.errors.Error, nats.js.errors.Error, OSError):
        return ClaimResult(ClaimAnswer.UNREACHABLE)


async def exchange(
    store: Store,
    membership: Membership,
    credentials: TeamCredentials,
    *,
    agent_name: Callable[[], str],
    connect_timeout: float = 3.0,
) -> ExchangeReport:
    """Publish everything waiting, apply the stream up to its end, and close (the command
    line's `heedful team sync`, and what `heedful triage` does after a change)."""
    link = TeamLink(store, membership, credentials, agent_name=agent_name)
    report = ExchangeReport()
    try:
        connection = await TeamConnection.open(
            membership.server,
            credentials,
            link.layout,
            connect_timeout=connect_timeout,
            reconnect=False,
            name=f"heedful {membership.user}",
        )
    except TeamError as problem:
        link.memberships.note_exchange(utc_now(), error=str(problem))
        raise
    try:
        await connection.ensure_layout()
        report.published = await link.publish_waiting(connection)
        end = await connection.last_seq()
        while True:
            current = link.memberships.get()
            if current is None or current.applied_seq >= end:
                break
            batch = await link.pull_once(connection, PULL_WAIT_S)
            if not (batch.applied or batch.rejected or batch.duplicates or batch.last_seq):
                break  # nothing came: the stream's end moved back (purged)
            report.applied += batch.applied
            report.conflicts += batch.conflicts
            report.rejected += batch.rejected
            report.changes |= batch.changes
            report.notices.extend(notice.text for notice in batch.notices)
        report.changes |= link.applier.project_arrivals()
        link.memberships.note_exchange(utc_now())
    except (TimeoutError, nats.errors.Error) as problem:
        raise TeamOffline(
            f"The team's server stopped answering ({type(problem).__name__})."
        ) from problem
    finally:
        await connection.close()
    return report


async def claim_once(
    membership: Membership,
    credentials: TeamCredentials,
    key: TeamMentionKey,
    mine: Claim,
    force: bool,
    *,
    connect_timeout: float = 3.0,
) -> ClaimResult:
    """Take one claim over a connection of its own (the sender's thread, any process)."""
    try:
        connection = await TeamConnection.open(
            membership.server,
            credentials,
            TeamLayout(membership.team),
            connect_timeout=connect_timeout,
            reconnect=False,
            name=f"heedful {membership.user} claim",
        )
    except TeamRefused:
        raise
    except TeamError:
        return ClaimResult(ClaimAnswer.UNREACHABLE)
    try:
        await connection.ensure_layout()
        return await take_claim(connection, key, mine, force)
    except TeamError:
        return ClaimResult(ClaimAnswer.UNREACHABLE)
    finally:
        await connection.close()


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event | None, *, timeout: float) -> None:
    waiters = [asyncio.create_task(stop.wait())]
    if wake is not None:
        waiters.append(asyncio.create_task(wake.wait()))
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
