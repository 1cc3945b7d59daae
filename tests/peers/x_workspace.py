"""A Heedful workspace signed in to the X test server (tests/peers/x.py): what the X tests
share."""

from __future__ import annotations

import socket

from storage.records import Account

from app.bootstrap import Workspace
from app.networks.x.auth import callback_uri

from tests.peers.x import XPeer, XUser


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def sign_in(workspace: Workspace, peer: XPeer, user: XUser, server: str | None = None) -> Account:
    """The real sign-in (authorize page, PKCE, token endpoint), with the address pasted."""
    port = free_port()
    client_id = peer.register_client([callback_uri(port)])
    flow = workspace.account_service.begin_x_sign_in(
        client_id, server=server or peer.base_url, port=port, pasted=True
    )
    redirected = peer.authorize(flow.start(), user)
    return workspace.account_service.finish_x_sign_in(flow, flow.finish_from_address(redirected))


def stored(workspace: Workspace, account: Account) -> dict[str, tuple[str, str]]:
    """The account's mentions (not its own posts): platform id -> (kind, text)."""
    rows = workspace.store.conn.execute(
        "SELECT platform_id, kind, text FROM mentions WHERE account_id = ? AND is_own = 0",
        [account.id],
    ).fetchall()
    return {str(pid): (str(kind), str(text)) for pid, kind, text in rows}
