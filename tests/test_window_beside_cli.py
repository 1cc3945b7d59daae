"""The window and the command line on one database at once: a real window process, real `heedful`
processes beside it (list, triage, reply, sync against the Mastodon test server), triage in the
window too. Nothing is lost, both sides see every change, and `PRAGMA integrity_check` is ok.

Before the fix, the window's counts worker read the file's header with a plain open()/close(),
which on POSIX drops every lock the window process holds on the file; the next `heedful`
command to close thought it was the last connection and deleted the WAL under the window.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys

import pytest

from storage.records import Account

from app.bootstrap import Workspace

from tests.peers.mastodon import MastodonPeer, PeerAccount
from tests.window_process import running_window

pytestmark = [pytest.mark.mastodon, pytest.mark.usefixtures("secret_service")]


def heedful(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _sign_in(workspace: Workspace, peer: MastodonPeer, who: PeerAccount) -> Account:
    flow = workspace.account_service.begin_mastodon_sign_in(peer.base_url)
    peer.authorize_in_browser(flow.start(), who.username, open_redirect=True)
    return workspace.account_service.finish_mastodon_sign_in(
        flow.server, flow.wait_for_browser(timeout=20)
    )


def _ids_by_text(listed: str) -> dict[str, int]:
    return {row["text"]: row["id"] for row in json.loads(listed)}


def test_the_window_and_the_command_line_side_by_side_lose_nothing(
    mastodon_peer: MastodonPeer, workspace: Workspace
) -> None:
    brand, customer = mastodon_peer.new_account(), mastodon_peer.new_account()
    account = _sign_in(workspace, mastodon_peer, brand)
    posts = {n: customer.post(f"@{brand.username} question {n}") for n in range(4)}
    workspace.sync.sync_account(account)
    database = workspace.profile.database
    workspace.close()  # from here on only the window and the command line hold the file
    ids = _ids_by_text(heedful("inbox", "list", "--json", "--view", "all"))
    q = {n: ids[f"@{brand.username} question {n}"] for n in posts}

    with running_window(expect_ready=True) as window:
        heedful("inbox", "list")  # a command that only reads, and closes
        assert window.ask(f"status {q[0]} open", "status") == f"{q[0]} open"
        heedful("triage", str(q[1]), "--status", "done")
        assert window.ask(f"state {q[1]}", "state") == f"{q[1]} done"
        heedful("reply", str(q[2]), "--text", "Sorted, it ships today – Ingrid")
        customer.post(f"@{brand.username} question 4")
        heedful("sync", "--once")
        window.ask("counts", "counts")  # the window's counts worker opens the file again
        assert window.ask(f"status {q[3]} pending", "status") == f"{q[3]} pending"
        window.ask("sync", "synced")  # the window's own sync, beside the command line's
        listed = json.loads(heedful("inbox", "list", "--json", "--view", "all"))
        heedful("triage", str(q[0]), "--tag", "shipping")
        assert window.quit() == 0
    seen_by_the_cli = {row["text"].split()[-1]: row["status"] for row in listed}
    assert seen_by_the_cli == {"0": "open", "1": "done", "2": "new", "3": "pending", "4": "new"}

    with contextlib.closing(sqlite3.connect(database)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        statuses = dict(conn.execute("SELECT id, status FROM mentions WHERE is_own = 0"))
        sent = conn.execute("SELECT mention_id, state FROM outbox").fetchall()
        tagged = conn.execute(
            "SELECT mention_id FROM mention_tags JOIN tags ON tags.id = tag_id"
            " WHERE name = 'shipping'"
        ).fetchall()
    assert {statuses[q[n]] for n in (0, 1, 3)} == {"open", "done", "pending"}
    assert (statuses[q[0]], statuses[q[1]], statuses[q[3]]) == ("open", "done", "pending")
    assert len(statuses) == 5  # question 4 came in through the command line's sync
    assert sent == [(q[2], "sent")]
    assert tagged == [(q[0],)]
    replies = customer.context(posts[2]["id"])["descendants"]
    assert [r["account"]["id"] for r in replies] == [brand.id]  # sent once
