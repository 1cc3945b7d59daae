"""The opt-in live X tests (tests/test_x_live.py), run against the loopback X test server
instead of the real X: so they do not rot unseen between the rare runs with real credentials.
Strict, since the test server speaks exactly X's published contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.peers.x import XPeer

pytestmark = [pytest.mark.x, pytest.mark.usefixtures("secret_service")]

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def x_peer() -> Iterator[XPeer]:
    with XPeer() as peer:
        yield peer
        peer.assert_clean()


def test_the_live_tests_pass_against_the_loopback_server(x_peer: XPeer, tmp_path: Path) -> None:
    brand, kari = x_peer.create_user("brand"), x_peer.create_user("kari")
    kari.post("@brand is the outlet open on Sunday?")
    question = kari.post("@brand where is my parcel?")
    kari.dm(brand, "My order is FF-271828")
    tokens = tmp_path / "x-live.json"
    first = x_peer.issue_token(brand, client_id="live-client")["refresh_token"]
    tokens.write_text(json.dumps({"client_id": "live-client", "refresh_token": first}))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/test_x_live.py", "-m", "live", "-q",
         "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            **os.environ,
            "HEEDFUL_X_LIVE_TOKENS": str(tokens),
            "HEEDFUL_X_LIVE_SERVER": x_peer.base_url,
            "HEEDFUL_X_LIVE_REPLY_TO": question,
            "HEEDFUL_X_LIVE_DM": "1",
            "HEEDFUL_X_LIVE_STRICT": "1",
        },
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "3 passed" in run.stdout
    # The rotated refresh token was written back, and it is the one that works now.
    kept = json.loads(tokens.read_text())["refresh_token"]
    assert kept != first
    assert x_peer.token_grants[-1] == ("refresh_token", 200)
    # What the runs posted was deleted afterwards; each went to X once.
    assert brand.posts() == []
    assert brand.sent_dms() == []
    assert len(x_peer.requests_for("createPosts")) == 1
    assert len(x_peer.requests_for("createDirectMessagesByParticipantId")) == 1
