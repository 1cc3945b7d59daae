"""Heedful processes of one team, each behind a relay a test can cut, on one brand account of
a real Mastodon-API server and a real NATS server: offline edits converge, a conflict shows in
both histories, and two agents pressing Send on one mention post exactly one reply."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from storage.records import Account

from app.bootstrap import StartupOptions, Workspace, build_workspace

from tests.peers.mastodon import MastodonPeer, PeerAccount
from tests.peers.nats import NatsPeer, Relay

pytestmark = [pytest.mark.usefixtures("secret_service"), pytest.mark.mastodon]
TEAM_PROCESS = Path(__file__).resolve().parent / "team_process.py"
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Laptop:
    user: str
    home: Path
    relay: Relay
    workspace: Workspace
    account: Account

    def env(self) -> dict[str, str]:
        return {**os.environ, "HEEDFUL_HOME": str(self.home), "PYTHONPATH": str(ROOT)}

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, str(TEAM_PROCESS), *args],
            env=self.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, str(TEAM_PROCESS), *args],
            env=self.env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == expect, f"heedful {' '.join(args)}: {done.stderr}{done.stdout}"
        return done

    def id_of(self, platform_id: str) -> str:
        row = self.workspace.store.conn.execute(
            "SELECT id FROM mentions WHERE platform_id = ?", [platform_id]
        ).fetchone()
        return str(row[0])

    def shared_state(self) -> dict[str, Any]:
        """Everything the team shares about each mention, by platform id."""
        found: dict[str, Any] = {}
        conn = self.workspace.store.conn
        for mention_id, platform_id in conn.execute(
            "SELECT id, platform_id FROM mentions WHERE is_own = 0"
        ).fetchall():
            state = self.workspace.triage.state(mention_id)
            notes = sorted((n.author, n.body) for n in self.workspace.triage.notes(mention_id))
            found[platform_id] = (
                state.status.value,
                state.assignee,
                state.priority,
                state.snoozed_until,
                state.tags,
                notes,
            )
        return found


@contextmanager
def team_of_laptops(
    nats_peer: NatsPeer, mastodon_peer: MastodonPeer, root: Path, users: tuple[str, ...]
) -> Iterator[tuple[list[Laptop], PeerAccount, list[str]]]:
    """Laptops signed in to one brand account, its mentions fetched, joined to a new team."""
    brand, customer = mastodon_peer.new_account(), mastodon_peer.new_account()
    posted = [customer.post(f"@{brand.username} question {n}")["id"] for n in range(3)]
    team = nats_peer.new_team()
    assert nats_peer.port is not None
    with ExitStack() as stack:
        laptops = []
        for user in users:
            relay = stack.enter_context(Relay("127.0.0.1", nats_peer.port))
            workspace = build_workspace(StartupOptions(home=root / user))
            stack.callback(workspace.close)
            workspace.set_agent_name(user.capitalize())
            account = workspace.account_service.finish_mastodon_sign_in(
                mastodon_peer.base_url, brand.token
            )
            workspace.sync.sync_account(account)
            workspace.team.join(relay.url, team, user, nats_peer.password(user))
            laptops.append(Laptop(user, root / user, relay, workspace, account))
        yield laptops, brand, [str(p) for p in posted]


def test_three_laptops_edit_offline_and_converge_with_the_conflict_in_every_history(
    nats_peer: NatsPeer, mastodon_peer: MastodonPeer, tmp_path: Path
) -> None:
    users = ("kari", "ola", "tor")
    with team_of_laptops(nats_peer, mastodon_peer, tmp_path, users) as (laptops, _, posts):
        kari, ola, tor = laptops
        first, second, third = posts
        for laptop in laptops:
            laptop.relay.cut()
        kari.run("triage", kari.id_of(first), "--status", "open", "--tag", "billing")
        ola.run("triage", ola.id_of(first), "--status", "done", "--untag", "billing")
        ola.run("triage", ola.id_of(third), "--note", "@Kari please call back")
        tor.run("triage", tor.id_of(second), "--assign", "Tor", "--tag", "urgent")
        tor.run("triage", tor.id_of(first), "--tag", "billing", "--priority", "2")
        offline = json.loads(kari.run("team", "status", "--json").stdout)
        assert (offline["connected"], offline["waiting"]) == (False, 2)
        for laptop in laptops:
            laptop.relay.restore()
        for laptop in [*laptops, *laptops]:  # twice round: everyone hears everyone
            laptop.run("team", "sync")
        states = [laptop.shared_state() for laptop in laptops]
        assert states[0] == states[1] == states[2]
        assert states[0][first][0] == "open"  # Kari's came first; Ola's was written against
        assert states[0][first][2] == 2  # the version Kari replaced
        assert states[0][first][4] == ("billing",)  # Tor's add was not seen by Ola's remove
        assert states[0][second][1:5:3] == ("Tor", ("urgent",))
        assert states[0][third][5] == [("Ola", "@Kari please call back")]
        for laptop in laptops:
            fields = [
                (event.actor, event.field, event.old_value, event.new_value)
                for event in laptop.workspace.triage.history(int(laptop.id_of(first)))
            ]
            assert ("Ola", "not_applied", "status", "done") in fields, laptop.user
        online = json.loads(kari.run("team", "status", "--json").stdout)
        assert (online["connected"], online["waiting"], online["unconfirmed"]) == (True, 0, 0)


def test_both_press_send_on_one_mention_and_the_customer_gets_exactly_one_reply(
    nats_peer: NatsPeer, mastodon_peer: MastodonPeer, tmp_path: Path
) -> None:
    with team_of_laptops(nats_peer, mastodon_peer, tmp_path, ("kari", "ola")) as (
        laptops,
        brand,
        posts,
    ):
        target = posts[0]
        sending = [
            laptop.start(
                "reply", laptop.id_of(target), "--text", f"Thanks, {laptop.user} here: on it."
            )
            for laptop in laptops
        ]
        outcomes = []
        for process in sending:
            out, err = process.communicate(timeout=60)
            outcomes.append((process.returncode, out, err))
        replies = [
            status
            for status in brand.request("GET", f"/api/v1/accounts/{brand.id}/statuses").json()
            if status.get("in_reply_to_id") == target
        ]
        assert len(replies) == 1, replies
        winner = 0 if "kari here" in replies[0]["content"] else 1
        loser = laptops[1 - winner]
        code, _, err = outcomes[1 - winner]
        assert code == 1
        assert f"{laptops[winner].user.capitalize()} replied" in err
        [held] = json.loads(loser.run("team", "held", "--json").stdout)
        # A later sync does not post it either; Discard takes it out, nothing posted.
        loser.run("sync", "--once")
        loser.run("team", "discard", str(held["outbox_id"]))
        statuses = brand.request("GET", f"/api/v1/accounts/{brand.id}/statuses").json()
        assert len([s for s in statuses if s.get("in_reply_to_id") == target]) == 1
        assert loser.workspace.outbox.all() == []
