"""Presence: a teammate viewing or typing on a mention shows within 2 s; a crashed laptop's
presence expires on its own (kill -9: nothing says goodbye)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import pytest

from storage.store import open_store

from app.team.apply import AppliedBatch
from app.team.presence import PRESENCE_TTL_S, Presence
from app.team.runtime import TeamRuntime
from app.team.status import TeamStatus

from tests.peers.mastodon import wait_until
from tests.peers.nats_server import NatsPeer
from tests.team_helpers import mention_ids, team_of

pytestmark = pytest.mark.usefixtures("secret_service")
LAPTOP = Path(__file__).resolve().parent / "team_laptop.py"


class Recorder:
    def __init__(self) -> None:
        self.presence: dict[str, list[str]] = {}
        self.applied = 0
        self.connected = False

    def team_did_apply(self, batch: AppliedBatch) -> None:
        self.applied += batch.applied

    def team_status_did_change(self, status: TeamStatus) -> None:
        self.connected = status.connected

    def presence_did_change(self, presence: dict[str, list[Presence]]) -> None:
        self.presence = {k: [p.sentence() for p in v] for k, v in presence.items()}


def start_laptop(home: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "HEEDFUL_HOME": str(home), "PYTHONPATH": os.getcwd()}
    return subprocess.Popen(
        [sys.executable, str(LAPTOP)],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def read_until(output: IO[str], key: str) -> dict[str, Any]:
    while True:
        line = output.readline()
        assert line, "the laptop process ended"
        document: dict[str, Any] = json.loads(line)
        if key in document:
            return document


def test_a_teammates_presence_shows_within_2_s_and_expires_after_kill_9(
    nats_peer: NatsPeer, tmp_path: Path
) -> None:
    with team_of(nats_peer, tmp_path) as (kari, ola):
        target = mention_ids(ola)[0]
        digest = ola.team.key_of(target).digest  # type: ignore[union-attr]
        recorder = Recorder()
        membership = kari.team.membership()
        assert membership is not None
        watcher = TeamRuntime(
            lambda: open_store(kari.profile.database, check_integrity=False),
            membership,
            kari.team.credentials(),
            agent_name=lambda: "Kari",
            listener=recorder,
        )
        watcher.start()
        process = start_laptop(tmp_path / "ola")
        try:
            assert process.stdin is not None
            assert process.stdout is not None
            read_until(process.stdout, "ready")
            wait_until(lambda: recorder.connected, timeout=5, message="Kari's link connects")
            process.stdin.write(f"type {target}\n")
            process.stdin.flush()
            began = time.monotonic()
            wait_until(
                lambda: recorder.presence.get(digest) == ["Ola is typing a reply"],
                timeout=2.0,
                message="Ola's presence on Kari's laptop",
            )
            print(f"\npresence arrived in {time.monotonic() - began:.3f} s")
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=5)
            killed = time.monotonic()
            wait_until(
                lambda: not recorder.presence.get(digest),
                timeout=PRESENCE_TTL_S + 3,
                message="Ola's presence expires",
            )
            waited = time.monotonic() - killed
            print(f"presence expired {waited:.1f} s after kill -9")
            assert waited > 1.0  # it expired: nothing deleted it
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=5)
            for pipe in (process.stdin, process.stdout):
                if pipe is not None:
                    pipe.close()
            watcher.stop()
