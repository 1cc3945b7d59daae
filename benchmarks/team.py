"""The team inbox on a real NATS server: how fast one laptop's change reaches another's store,
and how fast a day offline (10,000 changes) is published and caught up, each beside raw
nats-py doing the same exchange with no store, in the same run.

- Latency: laptop B runs the team link (app.team.runtime, as the window does); laptop A
  changes a mention's status and its link is nudged (as the window's change dispatcher does).
  Timed from just before A's change to B's link having applied it (its store committed). The
  baseline publishes a message of the same size with nats-py and times until a second
  connection's pull consumer (the same long-poll fetch) receives it.
- Catch-up: A makes N changes offline (bulk status and tag changes: N team events), then
  publishes them (`heedful team sync`'s exchange), and B, which was offline, reads and applies
  them. The baselines publish N messages of the same payloads (pipelined, acknowledged) and
  consume them in batches of 500, storing nothing.

Secrets go to an in-memory keyring (benchmarks never write to the user's keyring).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import threading
import time
from pathlib import Path

import keyring
import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig

from storage.records import TriageStatus
from storage.store import open_store

from app.bootstrap import Workspace
from app.team.apply import AppliedBatch
from app.team.presence import Presence
from app.team.runtime import TeamRuntime
from app.team.status import TeamStatus

from benchmarks.report import Measure
from benchmarks.sync import MemoryKeyring
from tests.peers.nats_server import NatsPeer
from tests.team_helpers import laptop, mention_ids


class _Applied:
    def __init__(self) -> None:
        self.count = 0
        self.changed = threading.Condition()
        self.connected = threading.Event()

    def team_did_apply(self, batch: AppliedBatch) -> None:
        with self.changed:
            self.count += batch.applied
            self.changed.notify_all()

    def team_status_did_change(self, status: TeamStatus) -> None:
        if status.connected:
            self.connected.set()

    def presence_did_change(self, presence: dict[str, list[Presence]]) -> None:
        pass

    def wait_for(self, count: int, timeout: float = 30.0) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: self.count >= count, timeout):
                raise RuntimeError(f"only {self.count} of {count} changes arrived")


def _runtime(workspace: Workspace, listener: _Applied) -> TeamRuntime:
    membership = workspace.team.membership()
    assert membership is not None
    database = workspace.profile.database
    runtime = TeamRuntime(
        lambda: open_store(database, check_integrity=False),
        membership,
        workspace.team.credentials(),
        agent_name=lambda: workspace.settings.agent_name,
        listener=listener,
    )
    runtime.start()
    if not listener.connected.wait(10):
        raise RuntimeError("the team link did not connect")
    return runtime


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _latency(peer: NatsPeer, root: Path, samples: int) -> tuple[list[float], list[float]]:
    team = peer.new_team()
    kari, ola = laptop(root / "kari-l", "Kari", 20), laptop(root / "ola-l", "Ola", 20)
    try:
        for workspace, user in ((kari, "kari"), (ola, "ola")):
            workspace.team.join(peer.url, team, user, peer.password(user))
        heard_k, heard_o = _Applied(), _Applied()
        sender, receiver = _runtime(kari, heard_k), _runtime(ola, heard_o)
        try:
            ids = mention_ids(kari)
            statuses = [TriageStatus.OPEN, TriageStatus.PENDING]
            found: list[float] = []
            for number in range(samples):
                began = time.perf_counter()
                # Each round over the mentions sets the other status: always a real change.
                status = statuses[(number // len(ids)) % 2]
                kari.triage.set_status([ids[number % len(ids)]], status)
                sender.nudge()
                heard_o.wait_for(number + 1)
                found.append((time.perf_counter() - began) * 1000)
        finally:
            sender.stop()
            receiver.stop()
    finally:
        kari.close()
        ola.close()
    return found, asyncio.run(_raw_latency(peer, samples))


async def _raw_latency(peer: NatsPeer, samples: int) -> list[float]:
    stream, subject = "RAWLAT" + peer.new_team().upper(), f"raw.{peer.new_team()}"
    publisher = await nats.connect(peer.url, user="kari", password=peer.password("kari"))
    consumer = await nats.connect(peer.url, user="ola", password=peer.password("ola"))
    try:
        await publisher.jetstream().add_stream(StreamConfig(name=stream, subjects=[subject]))
        pull = await consumer.jetstream().pull_subscribe(
            subject,
            durable=None,
            stream=stream,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW, ack_policy=AckPolicy.NONE),
        )
        payload = b"x" * 420  # about the size of a triage event
        found: list[float] = []
        for number in range(samples):
            fetching = asyncio.create_task(pull.fetch(1, timeout=5))
            await asyncio.sleep(0.01)  # the long poll is waiting, as the link's is
            began = time.perf_counter()
            await publisher.jetstream().publish(
                subject, payload, headers={"Nats-Msg-Id": str(number)}
            )
            await fetching
            found.append((time.perf_counter() - began) * 1000)
        return found
    finally:
        await publisher.close()
        await consumer.close()


def _catch_up(peer: NatsPeer, root: Path, changes: int) -> dict[str, float]:
    team = peer.new_team()
    per_call = 500
    kari = laptop(root / "kari-c", "Kari", per_call)
    ola = laptop(root / "ola-c", "Ola", per_call)
    try:
        for workspace, user in ((kari, "kari"), (ola, "ola")):
            workspace.team.join(peer.url, team, user, peer.password(user))
        ids = mention_ids(kari)
        statuses = [TriageStatus.OPEN, TriageStatus.PENDING, TriageStatus.DONE]
        made = 0
        while made < changes:  # a day offline: bulk changes, one event per mention each
            round_number = made // per_call
            if round_number % 2:
                kari.triage.tag(ids, f"batch{round_number}")
            else:
                kari.triage.set_status(ids, statuses[(round_number // 2) % 3])
            made += per_call
        payloads = [
            bytes(row[0])
            for row in kari.store.conn.execute("SELECT payload FROM team_outbox ORDER BY id")
        ]
        began = time.perf_counter()
        published = kari.team.exchange().published
        publish_s = time.perf_counter() - began
        began = time.perf_counter()
        applied = ola.team.exchange().applied
        apply_s = time.perf_counter() - began
        if published != made or applied != made:
            raise RuntimeError(f"published {published}, applied {applied} of {made}")
    finally:
        kari.close()
        ola.close()
    raw_publish_s, raw_consume_s = asyncio.run(_raw_catch_up(peer, payloads))
    return {
        "changes": made,
        "publish": made / publish_s,
        "apply": made / apply_s,
        "raw_publish": made / raw_publish_s,
        "raw_consume": made / raw_consume_s,
    }


async def _raw_catch_up(peer: NatsPeer, payloads: list[bytes]) -> tuple[float, float]:
    stream, subject = "RAWCU" + peer.new_team().upper(), f"raw.{peer.new_team()}"
    client = await nats.connect(peer.url, user="kari", password=peer.password("kari"))
    try:
        js = client.jetstream()
        await js.add_stream(StreamConfig(name=stream, subjects=[subject]))
        began = time.perf_counter()
        for start in range(0, len(payloads), 256):
            futures = [
                await js.publish_async(subject, payload, headers={"Nats-Msg-Id": f"{start}-{n}"})
                for n, payload in enumerate(payloads[start : start + 256])
            ]
            await asyncio.gather(*futures)
        publish_s = time.perf_counter() - began
        pull = await js.pull_subscribe(
            subject,
            durable=None,
            stream=stream,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.NONE),
        )
        began, seen = time.perf_counter(), 0
        while seen < len(payloads):
            seen += len(await pull.fetch(500, timeout=5))
        consume_s = time.perf_counter() - began
        return publish_s, consume_s
    finally:
        await client.close()


def run(*, quick: bool = False) -> list[Measure]:
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    samples, changes = (10, 1_000) if quick else (100, 10_000)
    try:
        with NatsPeer() as peer, tempfile.TemporaryDirectory(prefix="heedful-bench-team-") as d:
            root = Path(d)
            heedful, raw = _latency(peer, root, samples)
            caught = _catch_up(peer, root, changes)
    finally:
        keyring.set_keyring(previous)
    p50, p95 = statistics.median(heedful), _percentile(heedful, 0.95)
    raw50, raw95 = statistics.median(raw), _percentile(raw, 0.95)
    count = int(caught["changes"])
    return [
        Measure("Team", f"one change, laptop to laptop's store, p50 ({samples} runs)", p50, "ms",
                raw50, "nats-py publish → pull fetch", "≤ 1 s", p50 <= 1000),
        Measure("Team", f"one change, laptop to laptop's store, p95 ({samples} runs)", p95, "ms",
                raw95, "nats-py publish → pull fetch", "≤ 1 s", p95 <= 1000),
        Measure("Team", f"publishing {count:,} offline changes (events/s)", caught["publish"],
                "/s", caught["raw_publish"], "nats-py publish_async, no store"),
        Measure("Team", f"catching up {count:,} changes after a day offline (events/s)",
                caught["apply"], "/s", caught["raw_consume"], "nats-py pull, no store"),
    ]  # fmt: skip
