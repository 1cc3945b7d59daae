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
    return [
        int(r[0])
        for r in workspace.store.conn.execute("SELECT id FROM mentions ORDER BY platform_id")
    ]


@contextmanager
def team_of(
    peer: NatsPeer, root: Path, names: tuple[str, ...] = ("kari", "ola"), mentions: int = 3
) -> Iterator[list[Workspace]]:
    team = peer.new_team()
    laptops = []
    try:
        for name in names:
            workspace = laptop(root / name, name.capitalize(), mentions)
            workspace.team.join(peer.url, team, name, peer.password(name))
            laptops.append(workspace)
        yield laptops
    finally:
        for workspace in laptops:
            workspace.close()
