"""Two or three laptops of one team, in this process: separate profiles, one brand account."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from storage.records import Network, NewAccount

from app.bootstrap import StartupOptions, Workspace, build_workspace

from tests.factories import mention
from tests.peers.nats import NatsPeer

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
