"""Two or three laptops of one team, in this process: separate profiles, one brand account."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.records import Account, Network, NewAccount

from app.bootstrap import StartupOptions, Workspace, build_workspace

from tests.factories import mention
from tests.peers.mastodon import MastodonPeer, PeerAccount
from tests.peers.nats_server import NatsPeer, Relay

BRAND = NewAccount(
    Network.MASTODON, "https://social.example", "fjellform", "Fjellform", platform_user_id="4242"
)


def laptop(home: Path, agent: str, mentions: int = 3) -> Workspace:
    """A workspace as a teammate's laptop has it: the brand account, its mentions fetched."""
    workspace = build_workspace(StartupOptions(home=home))
    workspace.set_agent_name(agent)
    account = workspace.accounts.add(BRAND)
    workspace.mentions.ingest([mention(account.id, n) for n in range(1, mentions + 1)])
    return workspace


def mention_ids(workspace: Workspace) -> list[int]:
    rows = workspace.store.conn.execute("SELECT id FROM mentions ORDER BY platform_id")
    return [int(row[0]) for row in rows]


def shared_state(workspace: Workspace) -> dict[str, object]:
    """What the team shares about each mention, by platform id (compared across laptops)."""
    found: dict[str, object] = {}
    rows = workspace.store.conn.execute("SELECT id, platform_id FROM mentions").fetchall()
    for mention_id, platform_id in rows:
        state = workspace.triage.state(mention_id)
        notes = sorted((n.author, n.body) for n in workspace.triage.notes(mention_id))
        found[platform_id] = (
            state.status.value,
            state.assignee,
            state.priority,
            state.snoozed_until,
            state.tags,
            notes,
        )
    return found


def stream_event_ids(peer: NatsPeer, workspace: Workspace) -> list[str]:
    """Every event id on the team's stream, in stream order (duplicates included)."""
    import asyncio

    from app.team.connection import TeamConnection, TeamCredentials
    from app.team.wire import TeamLayout, decode

    membership = workspace.team.membership()
    assert membership is not None

    async def read() -> list[str]:
        connection = await TeamConnection.open(
            peer.url,
            TeamCredentials(membership.user, peer.password(membership.user)),
            TeamLayout(membership.team),
            reconnect=False,
        )
        try:
            end, after, found = await connection.last_seq(), 0, []
            while after < end:
                messages = await connection.fetch(after, 500, wait=2.0)
                assert messages, "the stream ended early"
                found += [decode(message.data).id for message in messages]
                after = messages[-1].seq
            return found
        finally:
            await connection.close()

    return asyncio.run(read())


@contextmanager
def team_of(
    peer: NatsPeer,
    root: Path,
    names: tuple[str, ...] = ("kari", "ola"),
    mentions: int = 3,
    servers: dict[str, str] | None = None,
) -> Iterator[list[Workspace]]:
    """Laptops joined to a fresh team; `servers` gives a laptop another address (a relay)."""
    team = peer.new_team()
    laptops = []
    try:
        for name in names:
            workspace = laptop(root / name, name.capitalize(), mentions)
            server = (servers or {}).get(name, peer.url)
            workspace.team.join(server, team, name, peer.password(name))
            laptops.append(workspace)
        yield laptops
    finally:
        for workspace in laptops:
            workspace.close()


def join_off_this_thread(home: Path, server: str, team: str, user: str, password: str) -> None:
    """Join on a thread of its own, with a workspace of its own: a Qt test's thread runs
    qasync's loop, and the team's calls run loops of their own (as on the window's workers)."""
    failures: list[BaseException] = []

    def join() -> None:
        workspace = build_workspace(StartupOptions(home=home))
        try:
            workspace.team.join(server, team, user, password)
        except BaseException as error:
            failures.append(error)
        finally:
            workspace.close()

    worker = threading.Thread(target=join)
    worker.start()
    worker.join(60)
    if failures:
        raise failures[0]


# --- laptops as processes, on a real Mastodon-API server ----------------------------------------

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
            join_off_this_thread(root / user, relay.url, team, user, nats_peer.password(user))
            laptops.append(Laptop(user, root / user, relay, workspace, account))
        yield laptops, brand, [str(p) for p in posted]
