"""Signing in to the team's server other than with a password, on a real nats-server: an nkey
user (its seed file), a .creds file in operator mode (JWTs); and members of two teams in one
account, each held to their team's subjects (the README's configuration): another team's
member hears nothing of this team's and cannot publish on its subjects."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import nats
import nats.errors
import nkeys
import pytest
from nats.aio.msg import Msg

from storage.records import TriageStatus, to_timestamp, utc_now

from app.team.claims import Claim, ClaimAnswer
from app.team.errors import TeamAddressError, TeamRefused
from app.team.permissions import inbox_prefix, server_config
from app.team.wire import TeamLayout

from tests.peers.nats_server import NatsPeer
from tests.team_helpers import laptop, mention_ids, stream_event_ids

pytestmark = pytest.mark.usefixtures("secret_service")
README = Path(__file__).resolve().parent.parent / "README.md"


def test_an_nkey_user_joins_with_a_seed_file_and_the_seed_is_kept_in_the_keyring(
    nats_peer: NatsPeer, tmp_path: Path
) -> None:
    team = nats_peer.new_team()
    seed_file = tmp_path / "nina.nk"
    seed_file.write_text(nats_peer.nkey_seed() + "\n")
    nina, ola = laptop(tmp_path / "nina", "Nina"), laptop(tmp_path / "ola", "Ola")
    try:
        with pytest.raises(TeamAddressError, match="Cannot read"):
            nina.team.join(nats_peer.url, team, "nina", str(tmp_path / "missing.nk"), "nkey")
        wrong = tmp_path / "wrong.nk"  # a valid seed, of a user the server does not know
        wrong.write_text(bytes(nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)).decode())
        with pytest.raises(TeamRefused):
            nina.team.join(nats_peer.url, team, "nina", str(wrong), "nkey")
        nina.team.join(nats_peer.url, team, "nina", str(seed_file), "nkey")
        seed_file.unlink()  # the keyring has the seed: the file is not needed again
        assert nina.team.credentials().nkey_seed == nats_peer.nkey_seed()
        ola.team.join(nats_peer.url, team, "ola", nats_peer.password("ola"))
        nina.triage.set_status([mention_ids(nina)[0]], TriageStatus.PENDING)
        nina.team.exchange()
        ola.team.exchange()
        assert ola.triage.state(mention_ids(ola)[0]).status is TriageStatus.PENDING
    finally:
        nina.close()
        ola.close()


def test_a_creds_file_signs_in_to_a_server_in_operator_mode(tmp_path: Path) -> None:
    with NatsPeer(operator=True) as server:
        team = server.new_team()
        kari, ola = laptop(tmp_path / "kari", "Kari"), laptop(tmp_path / "ola", "Ola")
        try:
            for name, workspace in (("kari", kari), ("ola", ola)):
                creds = server.creds_file(name)
                workspace.team.join(server.url, team, name, str(creds), "creds")
                creds.unlink()  # kept in the keyring
            assert "BEGIN NATS USER JWT" in kari.team.credentials().creds
            kari.triage.tag([mention_ids(kari)[0]], "billing")
            kari.team.exchange()
            ola.team.exchange()
            assert ola.triage.state(mention_ids(ola)[0]).tags == ("billing",)
            not_creds = tmp_path / "not.creds"
            not_creds.write_text("just a password\n")
            with pytest.raises(TeamAddressError, match=r"not a NATS \.creds file"):
                ola.team.join(server.url, team, "ola", str(not_creds), "creds")
        finally:
            kari.close()
            ola.close()


def test_the_readme_shows_the_per_team_permissions_heedful_needs() -> None:
    example = server_config("SHARED", {"care": [("kari", "…"), ("ola", "…")]})
    assert example in README.read_text(encoding="utf-8")


def test_a_member_of_another_team_in_the_same_account_hears_nothing_and_cannot_publish(
    nats_peer: NatsPeer, tmp_path: Path
) -> None:
    anna, arne = laptop(tmp_path / "anna", "Anna"), laptop(tmp_path / "arne", "Arne")
    try:
        # Held to their team's subjects, team perm-a works as any team does: events, the
        # reply claim, presence (checked in the link's own way: it says it is connected).
        for name, workspace in (("anna", anna), ("arne", arne)):
            workspace.team.join(nats_peer.url, "perm-a", name, nats_peer.password(name))
        first = mention_ids(anna)[0]
        anna.triage.set_status([first], TriageStatus.OPEN)
        anna.team.exchange()
        arne.team.exchange()
        assert arne.triage.state(mention_ids(arne)[0]).status is TriageStatus.OPEN
        key = anna.team.key_of(first)
        assert key is not None
        claim = anna.team.claim_call()
        mine = Claim("anna", "Anna", "reply-1", to_timestamp(utc_now()))
        assert claim(key, mine, False).answer is ClaimAnswer.GRANTED
        theirs = Claim("arne", "Arne", "reply-2", to_timestamp(utc_now()))
        assert arne.team.claim_call()(key, theirs, False).answer is ClaimAnswer.HELD
        before = stream_event_ids(nats_peer, anna)

        # Bjorn, of team perm-b in the same account, listens to everything he can ask for.
        layout = TeamLayout("perm-a")
        heard: list[str] = []
        refused: list[str] = []
        listening, done = threading.Event(), threading.Event()

        async def snoop() -> None:
            async def error(problem: Exception) -> None:
                refused.append(str(problem))

            async def hear(message: Msg) -> None:
                heard.append(message.subject)

            client = await nats.connect(
                nats_peer.url,
                user="bjorn",
                password=nats_peer.password("bjorn"),
                inbox_prefix=inbox_prefix(TeamLayout("perm-b")),
                error_cb=error,
                allow_reconnect=False,
            )
            try:
                kv = [f"$KV.{layout.presence_bucket}.>", f"$KV.{layout.claims_bucket}.>"]
                for subject in (">", "heedful.>", "heedful.perm-a.>", "_INBOX.>", *kv):
                    await client.subscribe(subject, cb=hear)
                # Publishing on team perm-a's subjects is refused by the server.
                await client.publish(layout.subject_for("note.add"), b'{"v": 1}')
                await client.publish(f"$KV.{layout.claims_bucket}.{key.digest}", b"mine")
                with pytest.raises(nats.errors.Error):
                    await client.request(f"$JS.API.STREAM.INFO.{layout.stream}", b"", timeout=1.0)
                await client.flush()
                listening.set()
                await asyncio.to_thread(done.wait, 15)
                await client.flush()
            finally:
                await client.close()

        snooper = threading.Thread(target=asyncio.run, args=(snoop(),))
        snooper.start()
        assert listening.wait(15)
        # While he listens, team perm-a works: a change published and read back, a claim.
        anna.triage.add_note(first, "Called the customer back")
        anna.team.exchange()
        arne.team.exchange()
        assert [n.body for n in arne.triage.notes(mention_ids(arne)[0])] == [
            "Called the customer back"
        ]
        assert claim(key, mine, False).answer is ClaimAnswer.GRANTED
        done.set()
        snooper.join(15)
        assert heard == []
        said = [text.lower() for text in refused]
        assert sum("permissions violation for subscription" in text for text in said) == 6
        assert sum("permissions violation for publish" in text for text in said) >= 2
        # Nothing he published reached the team: its stream has Anna's two events only, and
        # the claim is still Anna's.
        after = stream_event_ids(nats_peer, anna)
        assert len(after) == len(before) + 1
        assert claim(key, theirs, False).answer is ClaimAnswer.HELD

        # His own team works for him.
        bjorn = laptop(tmp_path / "bjorn", "Bjorn")
        try:
            bjorn.team.join(nats_peer.url, "perm-b", "bjorn", nats_peer.password("bjorn"))
            with pytest.raises(TeamRefused):
                bjorn.team.join(nats_peer.url, "perm-a", "bjorn", nats_peer.password("bjorn"))
        finally:
            bjorn.close()
    finally:
        anna.close()
        arne.close()
