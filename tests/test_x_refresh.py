"""Two Heedful processes renewing one X sign-in at the same moment: X's refresh tokens work
once, so both spending the same one would sign the account out. Each is a real process
(tests/peers/x_sign_in_user.py) fetching a conversation, as the window's detail pane does
beside a `heedful sync`, both finding the access token refused at once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from storage.records import AccountState
from storage.token_leases import TokenRefreshLeases

from app.bootstrap import Workspace
from app.networks.x.auth import TokenKeeper

from tests.peers.x import XPeer
from tests.peers.x_workspace import sign_in

pytestmark = [pytest.mark.x, pytest.mark.usefixtures("secret_service")]

SIGN_IN_USER = Path(__file__).resolve().parent / "peers" / "x_sign_in_user.py"


@pytest.fixture
def x_peer() -> Iterator[XPeer]:
    with XPeer() as peer:
        yield peer
        peer.assert_clean()


def _ready_process(mention_id: int) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, str(SIGN_IN_USER), str(mention_id)],
        env=dict(os.environ),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline().strip()
    assert first == "ready", first + process.stdout.read()
    return process


def test_two_processes_renewing_at_once_keep_the_account_signed_in(
    x_peer: XPeer, workspace: Workspace
) -> None:
    brand, kari = x_peer.create_user("brand"), x_peer.create_user("kari")
    account = sign_in(workspace, x_peer, brand)
    kari.post("@brand is the shop open on Sunday?")
    assert workspace.sync.sync_account(workspace.accounts.get(account.id)).added == 1
    (mention_id,) = workspace.store.conn.execute("SELECT id FROM mentions").fetchone()

    # Both find their access token refused, and both go to renew it; X takes its time to
    # answer, so the two renewals overlap.
    x_peer.expire_access_tokens(brand)
    x_peer.token_delay_s = 0.5
    processes = [_ready_process(mention_id) for _ in range(2)]
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    outputs = []
    for process in processes:
        output, _ = process.communicate(timeout=60)
        outputs.append(output.strip())
    assert [p.returncode for p in processes] == [0, 0], outputs
    assert all(o.startswith("ok") for o in outputs), outputs

    # One renewal at X; the other process took over what the first saved.
    assert x_peer.token_grants.count(("refresh_token", 200)) == 1
    assert ("refresh_token", 400) not in x_peer.token_grants
    # The account still syncs with what the keyring holds, later too.
    x_peer.token_delay_s = 0.0
    x_peer.expire_access_tokens(brand)
    report = workspace.sync.sync_account(workspace.accounts.get(account.id))
    assert report.state is AccountState.OK, report.detail


def test_a_renewal_waits_for_another_and_uses_what_it_saved(
    x_peer: XPeer, workspace: Workspace
) -> None:
    """The same within one process, step by step: a renewal that finds the lease taken waits,
    then reads the keyring again and does not spend the (already spent) refresh token."""
    brand = x_peer.create_user("brand")
    account = sign_in(workspace, x_peer, brand)
    name = f"account:x:{account.server}:{account.handle}"
    secret = workspace.secrets.get(name)
    assert secret is not None
    leases = TokenRefreshLeases(workspace.store)

    def keeper() -> TokenKeeper:
        return TokenKeeper(
            account.server,
            dict(secret),
            lambda value: workspace.secrets.put(name, value),
            requests.Session(),
            load_secret=lambda: workspace.secrets.get(name),
            leases=leases,
            secret_name=name,
        )

    first, second = keeper(), keeper()
    refused = first.tokens.access_token
    renewed = first.refresh(refused)
    assert renewed != refused
    # The second still holds the spent refresh token: it must take over the saved one.
    assert second.tokens.refresh_token == secret["refresh_token"]
    assert second.refresh(refused) == renewed
    assert x_peer.token_grants.count(("refresh_token", 200)) == 1
    assert x_peer.token_grants.count(("refresh_token", 400)) == 0
