"""One connection to the team's NATS server: the event stream, the claims and presence buckets.

nats-py is imported here, and this module is imported only when a team connection is made
(never before the window's first paint: importing the client costs a tenth of a second).

The layout per team (`app.team.wire.TeamLayout`): a stream `HEEDFUL_<TEAM>` over the subjects
`heedful.<team>.ev.>`, deduplicating by message id (the event's UUID) over two days; a
key-value bucket of reply claims (create-only-if-absent) and one of presence (memory, every
entry expiring `PRESENCE_TTL_S` after its last refresh). Any member creates what is missing on
first connect; creating the same thing twice is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    KeyValueConfig,
    StorageType,
    StreamConfig,
)
from nats.js.kv import KeyValue

from app.team.apply import IncomingMessage
from app.team.errors import TeamAddressError, TeamOffline, TeamRefused
from app.team.wire import MAX_EVENT_BYTES, TeamLayout

log = logging.getLogger(__name__)

DEDUPE_WINDOW_S = 2 * 24 * 3600
PRESENCE_TTL_S = 8.0
CLAIM_TTL_S = 90 * 24 * 3600
REQUEST_TIMEOUT_S = 5.0
PUBLISH_WINDOW = 256  # publishes in flight at once (acknowledged in order)

StateCallback = Callable[[bool], Awaitable[None]]  # connected or not


@dataclass(frozen=True, slots=True)
class TeamCredentials:
    """How this user signs in to the team's server; kept only in the keyring."""

    user: str
    password: str = ""
    token: str = ""
    creds_file: str = ""  # a NATS .creds file (JWT and nkey seed); needs the nkeys package

    def connect_options(self) -> dict[str, Any]:
        if self.creds_file:
            return {"user_credentials": self.creds_file}
        if self.token:
            return {"token": self.token}
        return {"user": self.user, "password": self.password}

    def as_secret(self) -> dict[str, str]:
        return {
            "user": self.user,
            "password": self.password,
            "token": self.token,
            "creds_file": self.creds_file,
        }

    @classmethod
    def from_secret(cls, secret: dict[str, Any]) -> TeamCredentials:
        return cls(
            user=str(secret.get("user", "")),
            password=str(secret.get("password", "")),
            token=str(secret.get("token", "")),
            creds_file=str(secret.get("creds_file", "")),
        )


def check_server_address(address: str) -> str:
    """`nats://host:port` or `tls://host:port` (the default port 4222 when none is given)."""
    text = address.strip()
    if "://" not in text:
        text = "nats://" + text
    try:
        parts = urlsplit(text)
        port = parts.port or 4222
    except ValueError as error:
        raise TeamAddressError(f"{address!r} is not a server address ({error}).") from error
    if parts.scheme not in ("nats", "tls"):
        raise TeamAddressError(
            f"{address!r}: a team server's address starts with nats:// or tls:// "
            "(tls:// encrypts the connection)."
        )
    if not parts.hostname or parts.username or parts.password or parts.path not in ("", "/"):
        raise TeamAddressError(
            f"{address!r}: give the host and port only (the password is asked for apart)."
        )
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}:{port}"


class TeamConnection:
    """A live connection. `open` connects (or raises TeamOffline / TeamRefused)."""

    def __init__(self, client: Client, layout: TeamLayout) -> None:
        self.client = client
        self.layout = layout
        self.js: JetStreamContext = client.jetstream(timeout=REQUEST_TIMEOUT_S)
        self._pull: JetStreamContext.PullSubscription | None = None
        self._pull_next_seq = 0  # the stream sequence the pull consumer starts at
        self._pull_delivered = 0  # consumer sequence of the last message it delivered
        self.claims: KeyValue | None = None
        self.presence: KeyValue | None = None

    @classmethod
    async def open(
        cls,
        server: str,
        credentials: TeamCredentials,
        layout: TeamLayout,
        *,
        connect_timeout: float = 3.0,
        reconnect: bool = True,
        on_state: StateCallback | None = None,
        name: str = "heedful",
    ) -> TeamConnection:
        address = check_server_address(server)
        options: dict[str, Any] = dict(credentials.connect_options())
        if address.startswith("tls://"):
            options["tls"] = ssl.create_default_context()

        async def disconnected() -> None:
            if on_state is not None:
                await on_state(False)

        async def reconnected() -> None:
            if on_state is not None:
                await on_state(True)

        async def error(problem: Exception) -> None:
            log.info("team connection: %s", problem)

        try:
            client = await nats.connect(
                servers=[address],
                name=name,
                connect_timeout=max(1, round(connect_timeout)),
                allow_reconnect=reconnect,
                max_reconnect_attempts=-1 if reconnect else 0,
                reconnect_time_wait=1,
                ping_interval=5,
                max_outstanding_pings=2,
                disconnected_cb=disconnected,
                reconnected_cb=reconnected,
                error_cb=error,
                **options,
            )
        except nats.errors.NoServersError as problem:
            raise TeamOffline(f"The team's server {address} cannot be reached.") from problem
        except (TimeoutError, OSError) as problem:
            raise TeamOffline(f"The team's server {address} cannot be reached.") from problem
        except nats.errors.Error as problem:
            text = str(problem).lower()
            if "authorization" in text or "auth" in text:
                raise TeamRefused(
                    f"The team's server refused the user name or password ({problem})."
                ) from problem
            raise TeamOffline(f"The team's server {address} failed: {problem}") from problem
        return cls(client, layout)

    @property
    def connected(self) -> bool:
        return bool(self.client.is_connected)

    async def close(self) -> None:
        with contextlib.suppress(TimeoutError, nats.errors.Error):
            await asyncio.wait_for(self.client.close(), timeout=2.0)

    # --- layout ----------------------------------------------------------------------------

    async def ensure_layout(self) -> None:
        """The team's stream and buckets, created when missing (by whoever comes first)."""
        layout = self.layout
        try:
            try:
                await self.js.stream_info(layout.stream)
            except nats.js.errors.NotFoundError:
                await self.js.add_stream(
                    StreamConfig(
                        name=layout.stream,
                        subjects=[layout.events_subjects],
                        storage=StorageType.FILE,
                        duplicate_window=DEDUPE_WINDOW_S,
                        max_msg_size=MAX_EVENT_BYTES,
                        description="Heedful team events (triage, notes, snippets)",
                    )
                )
            self.claims = await self._bucket(
                KeyValueConfig(
                    bucket=layout.claims_bucket,
                    history=5,
                    ttl=CLAIM_TTL_S,
                    storage=StorageType.FILE,
                    max_value_size=4096,
                    description="Heedful reply claims: one reply per mention",
                )
            )
            self.presence = await self._bucket(
                KeyValueConfig(
                    bucket=layout.presence_bucket,
                    history=1,
                    ttl=PRESENCE_TTL_S,
                    storage=StorageType.MEMORY,
                    max_value_size=1024,
                    description="Heedful presence: who is viewing or replying",
                )
            )
        except nats.js.errors.APIError as problem:
            if problem.code in (401, 403):
                raise TeamRefused(f"No permission for the team's stream ({problem}).") from problem
            raise TeamOffline(f"The team's server answered: {problem}") from problem
        except (nats.errors.TimeoutError, nats.errors.NoRespondersError) as problem:
            raise TeamOffline(
                "The team's server has no JetStream (start it with -js)."
            ) from problem

    async def _bucket(self, config: KeyValueConfig) -> KeyValue:
        try:
            return await self.js.key_value(config.bucket)
        except nats.js.errors.BucketNotFoundError:
            return await self.js.create_key_value(config)

    # --- the event stream ------------------------------------------------------------------

    async def publish(self, events: Sequence[tuple[str, str, bytes]]) -> list[tuple[str, int]]:
        """Publish (uuid, subject, payload) in order; returns (uuid, stream sequence) for each
        one the server acknowledged, stopping at the first that it did not: what follows it
        goes again next time (the server drops the ones it already has)."""
        done: list[tuple[str, int]] = []
        for start in range(0, len(events), PUBLISH_WINDOW):
            window = events[start : start + PUBLISH_WINDOW]
            futures = []
            for event_id, subject, payload in window:
                futures.append(
                    await self.js.publish_async(
                        subject,
                        payload,
                        stream=self.layout.stream,
                        headers={"Nats-Msg-Id": event_id},
                    )
                )
            for (event_id, _subject, _payload), future in zip(window, futures, strict=True):
                try:
                    ack = await asyncio.wait_for(future, timeout=REQUEST_TIMEOUT_S)
                except (TimeoutError, nats.errors.Error) as problem:
                    for rest in futures:
                        rest.cancel()
                    if not done and not self.connected:
                        raise TeamOffline("The team's server cannot be reached.") from problem
                    return done
                done.append((event_id, int(ack.seq)))
        return done

    async def publish_one(self, subject: str, payload: bytes, event_id: str) -> int:
        ack = await self.js.publish(
            subject, payload, stream=self.layout.stream, headers={"Nats-Msg-Id": event_id}
        )
        return int(ack.seq)

    async def last_seq(self) -> int:
        info = await self.js.stream_info(self.layout.stream)
        return int(info.state.last_seq)

    async def fetch(
        self, after_seq: int, batch: int = 500, wait: float = 2.0
    ) -> list[IncomingMessage]:
        """The stream's messages after `after_seq`, as many as are there (up to `batch`),
        waiting up to `wait` seconds for the first. Delivered in order with none missing:
        on any gap the consumer starts again where this store is."""
        if self._pull is None or self._pull_next_seq != after_seq + 1:
            await self._restart_pull(after_seq + 1)
        assert self._pull is not None
        try:
            messages = await self._pull.fetch(batch, timeout=wait)
        except nats.errors.TimeoutError:
            return []
        except nats.js.errors.APIError as problem:
            # The consumer went away (the server restarted, or forgot it while we were
            # offline): start a new one from where this store is.
            log.info("team: the stream consumer is gone (%s); starting again", problem)
            await self._restart_pull(after_seq + 1)
            return []
        found: list[IncomingMessage] = []
        for message in messages:
            metadata = message.metadata
            if metadata.sequence.consumer != self._pull_delivered + 1:
                log.info("team: a gap in what the server delivered; reading again")
                await self._restart_pull(after_seq + 1 + len(found))
                break
            self._pull_delivered = metadata.sequence.consumer
            found.append(IncomingMessage(metadata.sequence.stream, message.subject, message.data))
        if found:
            self._pull_next_seq = found[-1].seq + 1
        return found

    async def _restart_pull(self, start_seq: int) -> None:
        if self._pull is not None:
            with contextlib.suppress(nats.errors.Error):
                await self._pull.unsubscribe()
            self._pull = None
        self._pull = await self.js.pull_subscribe(
            self.layout.events_subjects,
            durable=None,
            stream=self.layout.stream,
            config=ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                opt_start_seq=max(1, start_seq),
                ack_policy=AckPolicy.NONE,
                inactive_threshold=300,
                max_waiting=4,
            ),
        )
        self._pull_next_seq = start_seq
        self._pull_delivered = 0

    # --- presence as it changes --------------------------------------------------------------

    async def watch_presence(self, on_entry: Callable[[Msg], Awaitable[None]]) -> None:
        """Every presence update as it is written (a core subscription on the bucket's
        subjects: the client renews it after each reconnect)."""
        await self.client.subscribe(f"$KV.{self.layout.presence_bucket}.>", cb=on_entry)
