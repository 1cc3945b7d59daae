"""X from the command line: `heedful accounts add x` (the sign-in through the person's own app,
with the browser's address pasted) and `heedful accounts budget`, as real processes against
the loopback X test server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.records import Network, NewAccount
from storage.usage import UsageRepository

from app.bootstrap import Workspace
from app.networks.x.auth import callback_uri

from tests.peers.x import XPeer
from tests.peers.x_workspace import free_port

pytestmark = [pytest.mark.x, pytest.mark.usefixtures("secret_service")]


@pytest.fixture
def x_peer() -> Iterator[XPeer]:
    with XPeer() as peer:
        yield peer
        peer.assert_clean()


def heedful(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )


def test_add_an_x_account_from_the_command_line(x_peer: XPeer, heedful_home: Path) -> None:
    brand = x_peer.create_user("brand")
    port = free_port()
    client_id = x_peer.register_client([callback_uri(port)])
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "accounts", "add", "x", "--client-id", client_id,
         "--port", str(port), "--server", x_peer.base_url, "--oob"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ),
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stdin is not None
    said = [process.stdout.readline() for _ in range(3)]
    assert said[0].strip() == f"Your X app must list this callback address: {callback_uri(port)}"
    address = said[2].strip()
    # The person's browser: they allow the app, and paste where the browser ended up.
    redirected = x_peer.authorize(address, brand)
    output, errors = process.communicate(redirected + "\n", timeout=60)
    assert process.returncode == 0, errors
    assert "Added @brand on X" in output

    listed = json.loads(heedful("accounts", "list", "--json").stdout)
    assert [(a["network"], a["handle"]) for a in listed] == [("x", "brand")]
    # The client id is asked for once: signing in again needs only the address.
    again = subprocess.run(
        [sys.executable, "-m", "app", "accounts", "add", "x", "--server", x_peer.base_url,
         "--oob", "--no-browser"],
        input="", capture_output=True, text=True, timeout=60, env=dict(os.environ),
    )  # fmt: skip
    assert f"client_id={client_id}" in again.stdout


def test_the_read_budget_and_prices_are_set_and_shown(workspace: Workspace) -> None:
    x = workspace.accounts.add(
        NewAccount(Network.X, "https://api.x.com", "brand", platform_user_id="1")
    )
    mastodon = workspace.accounts.add(
        NewAccount(Network.MASTODON, "https://social.example", "brand", platform_user_id="2")
    )
    done = heedful("accounts", "budget", "@brand", "--reads-per-day", "1500",
                   "--price-post-read", "0.004")  # fmt: skip
    assert done.returncode == 1  # two accounts are called brand: the id says which
    assert f"2 accounts are called '@brand' (ids {x.id}, {mastodon.id})" in done.stderr
    done = heedful("accounts", "budget", str(x.id), "--reads-per-day", "1500",
                   "--price-post-read", "0.004")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "1,500 reads per UTC day" in done.stdout
    assert "prices (US dollars, yours): post read 0.004, user read 0.01" in done.stdout
    limits = UsageRepository(workspace.store).limits(x.id)
    assert (limits.daily_read_budget, limits.unit_prices) == (1500, {"post_read": 0.004})

    shown = json.loads(heedful("accounts", "budget", str(x.id), "--json").stdout)
    assert shown["daily_read_budget"] == 1500
    assert shown["prices_usd"]["post_read"] == 0.004
    assert shown["today"]["reads"] == 0

    done = heedful("accounts", "budget", str(x.id), "--no-read-budget", "--published-prices")
    assert done.returncode == 0, done.stderr
    assert UsageRepository(workspace.store).limits(x.id).daily_read_budget is None
    assert UsageRepository(workspace.store).limits(x.id).unit_prices is None
    assert "read budget: none" in done.stdout

    refused = heedful("accounts", "budget", str(mastodon.id), "--reads-per-day", "10")
    assert refused.returncode == 1
    assert "does not bill per read" in refused.stderr
    refused = heedful("accounts", "budget", str(x.id), "--reads-per-day", "-3")
    assert refused.returncode == 2  # argparse: not a budget
    assert "must be 0 or more" in refused.stderr
