"""The team never loses or doubles a change: kill -9 of a publishing `heedful team sync` at 20
points, the server restarting under a live link; hostile messages on the stream are refused;
another team's user sees none of the team's subjects."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import nats
import nats.errors
import nats.js.errors
import pytest
from nats.aio.msg import Msg

from storage.records import TriageStatus
from storage.store import open_store

from app.bootstrap import Workspace
from app.team.apply import AppliedBatch
from app.team.presence import Presence
from app.team.runtime import TeamRuntime
from app.team.status import TeamStatus
from app.team.wire import TeamLayout, make_event

from tests.peers.mastodon import wait_until
from tests.peers.nats_server import NatsPeer, Relay
from tests.team_helpers import mention_ids, shared_state, stream_event_ids, team_of

pytestmark = pytest.mark.usefixtures("secret_service")
TEAM_PROCESS = Path(__file__).resolve().parent / "team_process.py"
ROOT = Path(__file__).resolve().parent.parent
# The moments a publishing run dies: as its k-th publish reaches the relay (the server never
# sees that chunk), as the k-th acknowledgement comes back (the server has it; the process
# never hears), or a few milliseconds after that acknowledgement reached the process.
MOMENTS = ("arrival", "answer", "after:3", "after:15")


class Killer:
    """Kills the running process at one point of its conversation with the server."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self.process: subprocess.Popen[bytes] | None = None
        self.moment, self.k = "", 0
        self.publishes = self.acks = 0
        self.killed = threading.Event()
        relay.on_client_data = self._client
        relay.on_server_data = self._server

    def arm(self, process: subprocess.Popen[bytes], moment: str, k: int) -> None:
        self.process, self.moment, self.k = process, moment, k
        self.publishes = self.acks = 0
        self.killed.clear()

    def _kill(self) -> None:
        if self.process is not None and not self.killed.is_set():
            self.killed.set()
            self.process.send_signal(signal.SIGKILL)

    def _client(self, _connection: int, chunk: bytes) -> None:
        self.publishes += chunk.count(b"HPUB heedful.")
        if self.moment == "arrival" and self.publishes >= self.k and not self.killed.is_set():
            self.relay.cut()  # this chunk never reaches the server
            self._kill()

    def _server(self, _connection: int, chunk: bytes) -> None:
        self.acks += chunk.count(b'{"stream":"HEEDFUL_')
        if self.acks < self.k or self.killed.is_set() or self.moment == "arrival":
            return
        if self.moment == "answer":
            self.relay.cut()  # the acknowledgement never reaches the process
            self._kill()
        else:
            delay = int(self.moment.split(":")[1]) / 1000
            threading.Timer(delay, self._kill).start()


def start_sync(home: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HEEDFUL_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(TEAM_PROCESS), "--wait-for-go", "team", "sync"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def make_changes(workspace: Workspace, run: int, count: int = 3) -> None:
    """`count` changes, each one a real change (a status it did not have, a new tag, a note)."""
    targets = mention_ids(workspace)
    statuses = [TriageStatus.OPEN, TriageStatus.PENDING, TriageStatus.DONE]
    for number in range(count):
        mention_id = targets[(run * count + number) % len(targets)]
        kind = (run + number) % 3
        if kind == 0:
            now = workspace.triage.state(mention_id).status
            workspace.triage.set_status([mention_id], next(s for s in statuses if s != now))
        elif kind == 1:
            workspace.triage.tag([mention_id], f"run{run}-{number}")
        else:
            workspace.triage.add_note(mention_id, f"note {run}.{number}")


def test_kill_9_while_publishing_at_20_points_duplicates_and_loses_nothing(
    nats_peer: NatsPeer, tmp_path: Path
) -> None:
    assert nats_peer.port is not None
    with (
        Relay("127.0.0.1", nats_peer.port) as relay,
        team_of(nats_peer, tmp_path, servers={"kari": relay.url}, mentions=5) as (kari, ola),
    ):
        killer = Killer(relay)
        points = [(MOMENTS[n % 4], 1 + (n // 4) % 3) for n in range(20)]
        waiting = start_sync(tmp_path / "kari")
        killed, runs = [], 0
        try:
            for moment, k in points:
                for _attempt in range(3):
                    make_changes(kari, runs)
                    process = waiting
                    assert process.stdout is not None
                    assert process.stdout.readline().strip() == b"ready"
                    killer.arm(process, moment, k)
                    assert process.stdin is not None
                    process.stdin.write(b"go\n")
                    process.stdin.close()
                    runs += 1
                    waiting = start_sync(tmp_path / "kari")  # loads while this one runs
                    code = process.wait(timeout=60)
                    output = process.stdout.read().decode(errors="replace")
                    process.stdout.close()
                    relay.restore()
                    if code == -signal.SIGKILL:
                        killed.append(f"{moment} #{k}")
                        break
                    assert code == 0, output
                else:
                    raise AssertionError(f"three runs ended before {moment} #{k}")
        finally:
            assert waiting.stdin is not None
            waiting.stdin.close()
            waiting.wait(timeout=30)
            if waiting.stdout is not None:
                waiting.stdout.close()
        print(f"\n{runs} publishing processes, {len(killed)} killed: {', '.join(killed)}")
        assert len(killed) == 20
        kari.team.exchange()  # the restart after the last kill
        ola.team.exchange()
        published = stream_event_ids(nats_peer, kari)
        doubled = [uuid for uuid, n in Counter(published).items() if n > 1]
        assert doubled == []
        made = {
            str(row[0])
            for row in kari.store.conn.execute(
                "SELECT uuid FROM triage_events WHERE field != 'not_applied'"
            )
        }
        assert set(published) == made  # every change, once
        assert kari.team.facts().unconfirmed == 0
        assert shared_state(ola) == shared_state(kari)


class Heard:
    def __init__(self) -> None:
        self.applied = 0
        self.connected = False
        self.disconnects = 0

    def team_did_apply(self, batch: AppliedBatch) -> None:
        self.applied += batch.applied

    def team_status_did_change(self, status: TeamStatus) -> None:
        if self.connected and not status.connected:
            self.disconnects += 1
        self.connected = status.connected

    def presence_did_change(self, presence: dict[str, list[Presence]]) -> None:
        pass


def test_the_server_restarting_under_live_links_loses_nothing(tmp_path: Path) -> None:
    with NatsPeer() as own_server, team_of(own_server, tmp_path) as (kari, ola):
        heard = Heard()
        membership = ola.team.membership()
        assert membership is not None
        link = TeamRuntime(
            lambda: open_store(ola.profile.database, check_integrity=False),
            membership,
            ola.team.credentials(),
            agent_name=lambda: "Ola",
            listener=heard,
        )
        link.start()
        try:
            wait_until(lambda: heard.connected, timeout=5, message="Ola's link connects")
            first, second, third = mention_ids(kari)
            kari.triage.set_status([first], TriageStatus.OPEN)
            kari.team.exchange()
            wait_until(lambda: heard.applied == 1, timeout=5, message="the first change")
            own_server.restart()
            wait_until(lambda: heard.disconnects >= 1, timeout=10, message="Ola sees it go")
            kari.triage.tag([second], "after-restart")
            kari.triage.add_note(third, "written while the server restarted")
            kari.team.exchange()
            wait_until(lambda: heard.applied == 3, timeout=15, message="changes after restart")
        finally:
            link.stop()
        assert shared_state(ola) == shared_state(kari)
        assert len(stream_event_ids(own_server, kari)) == 3  # the stream survived the restart


def test_hostile_messages_on_the_stream_are_refused_logged_and_never_applied(
    nats_peer: NatsPeer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with team_of(nats_peer, tmp_path) as (kari, ola):
        membership = kari.team.membership()
        assert membership is not None
        layout = TeamLayout(membership.team)
        key = kari.team.key_of(mention_ids(kari)[0])
        assert key is not None
        valid = make_event(
            "triage.set",
            actor="Kari",
            user="kari",
            at=kari.triage.now(),
            mention=key,
            field="status",
            value="open",
            base=None,
        )
        as_text = valid.encode().decode()
        hostile = {
            "triage.set": [
                b"\xff\xfe not utf-8",
                b"[1, 2, 3]",
                b'{"v": 1, "id": "x"' + b" " * 10,  # cut short
                as_text.replace('"open"', '"hacked"').encode(),  # not a status
                as_text.replace('"Kari"', '"\\u202eiraK"').encode(),  # a direction override
                as_text.replace('"v":1', '"v":99').encode(),  # a version from the future
                as_text.replace('"field":"status"', '"field":"platform_id"').encode(),
                b'{"v":1,' + b'"a":' * 5000 + b"1" + b"}" * 5000,  # nested deep
            ],
            "note.add": [as_text.encode()],  # a triage event on the notes' subject
        }

        async def publish() -> None:
            client = await nats.connect(
                nats_peer.url, user="ola", password=nats_peer.password("ola")
            )
            try:
                js = client.jetstream()
                for event_type, payloads in hostile.items():
                    for payload in payloads:
                        await js.publish(layout.subject_for(event_type), payload)
                with pytest.raises(nats.errors.Error):  # over the stream's size limit
                    await js.publish(layout.subject_for("note.add"), b"x" * 200_000)
            finally:
                await client.close()

        before = shared_state(ola)
        asyncio.run(publish())
        kari.triage.set_status([mention_ids(kari)[1]], TriageStatus.PENDING)  # one real change
        kari.team.exchange()
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="app.team.apply"):
            report = ola.team.exchange()
        assert report.rejected == 9
        assert report.applied == 1
        refused = ola.team.state.rejected()
        assert len(refused) == 9
        assert sum("rejected message" in record.message for record in caplog.records) == 9
        after = shared_state(ola)
        changed = {pid for pid in after if after[pid] != before[pid]}
        assert len(changed) == 1  # the real change, and nothing else
        assert ola.team.facts().rejected == 9


def test_another_teams_user_sees_none_of_the_teams_subjects(
    nats_peer: NatsPeer, tmp_path: Path
) -> None:
    with team_of(nats_peer, tmp_path) as (kari, _ola):
        kari.triage.set_status([mention_ids(kari)[0]], TriageStatus.OPEN)
        kari.team.exchange()
        membership = kari.team.membership()
        assert membership is not None
        layout = TeamLayout(membership.team)

        heard: list[str] = []
        listening, done = threading.Event(), threading.Event()

        async def snoop() -> None:
            client = await nats.connect(
                nats_peer.url, user="mallory", password=nats_peer.password("mallory")
            )

            async def hear(message: Msg) -> None:
                heard.append(message.subject)

            try:
                await client.subscribe(">", cb=hear)
                js = client.jetstream()
                with pytest.raises(nats.js.errors.NotFoundError):
                    await js.stream_info(layout.stream)
                with pytest.raises(nats.js.errors.Error):
                    await js.key_value(layout.claims_bucket)
                await client.flush()
                listening.set()
                await asyncio.to_thread(done.wait, 10)
                await client.flush()
            finally:
                await client.close()

        snooper = threading.Thread(target=asyncio.run, args=(snoop(),))
        snooper.start()
        assert listening.wait(10)
        kari.triage.set_status([mention_ids(kari)[1]], TriageStatus.DONE)
        kari.team.exchange()  # published and read back while mallory listens to everything
        done.set()
        snooper.join(10)
        assert kari.team.facts().unconfirmed == 0
        # (It hears its own API requests: they are in its own account.)
        team_subjects = [s for s in heard if s.startswith(("heedful.", "$KV."))]
        assert heard, "mallory's subscription works"
        assert team_subjects == []
