"""Heedful processes of one team, each behind a relay a test can cut, on one brand account of
a real Mastodon-API server and a real NATS server: offline edits converge, a conflict shows in
both histories, and two agents pressing Send on one mention post exactly one reply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.peers.mastodon import MastodonPeer
from tests.peers.nats_server import NatsPeer
from tests.team_helpers import team_of_laptops

pytestmark = [pytest.mark.usefixtures("secret_service"), pytest.mark.mastodon]


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
