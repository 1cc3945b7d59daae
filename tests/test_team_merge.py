"""Two laptops of one team on a real NATS server: triage, tags and notes reach the other;
offline edits merge by the rules (a stale write does not win; tag adds and removes commute)."""

from __future__ import annotations

from pathlib import Path

from storage.records import TriageStatus

from tests.peers.nats_server import NatsPeer
from tests.team_helpers import mention_ids, team_of


def test_a_status_set_on_one_laptop_reaches_the_other(nats_peer: NatsPeer, tmp_path: Path) -> None:
    with team_of(nats_peer, tmp_path) as (kari, ola):
        first = mention_ids(kari)[0]
        kari.triage.set_status([first], TriageStatus.OPEN)
        assert kari.team.facts().waiting == 1
        kari.team.exchange()
        assert kari.team.facts().waiting == 0
        ola.team.exchange()
        theirs = mention_ids(ola)[0]
        assert ola.triage.state(theirs).status is TriageStatus.OPEN
        history = ola.triage.history(theirs)
        assert [(e.actor, e.field, e.new_value) for e in history] == [("Kari", "status", "open")]


def test_a_change_written_against_a_stale_version_is_not_applied_on_either_laptop(
    nats_peer: NatsPeer, tmp_path: Path
) -> None:
    with team_of(nats_peer, tmp_path) as (kari, ola):
        k, o = mention_ids(kari)[0], mention_ids(ola)[0]
        # Both offline: each changes the same field from the same version.
        kari.triage.set_status([k], TriageStatus.OPEN)
        ola.triage.set_status([o], TriageStatus.DONE)
        kari.team.exchange()  # Kari's reaches the server first
        ola.team.exchange()
        kari.team.exchange()
        assert ola.triage.state(o).status is TriageStatus.OPEN  # theirs stands
        assert kari.triage.state(k).status is TriageStatus.OPEN
        for workspace, mention_id in ((kari, k), (ola, o)):
            [conflict] = workspace.team.conflicts(mention_id)
            assert (conflict.mine_actor, conflict.mine_value) == ("Ola", "done")
            assert (conflict.theirs_actor, conflict.theirs_value) == ("Kari", "open")
            fields = [e.field for e in workspace.triage.history(mention_id)]
            assert "not_applied" in fields
        # Ola applies hers anyway: written against the current version, it goes through.
        ola.team.apply_mine_anyway(conflict.uuid)
        ola.team.exchange()
        kari.team.exchange()
        assert kari.triage.state(k).status is TriageStatus.DONE
        assert ola.triage.state(o).status is TriageStatus.DONE


def test_tag_adds_and_removes_commute_and_notes_append(nats_peer: NatsPeer, tmp_path: Path) -> None:
    with team_of(nats_peer, tmp_path) as (kari, ola):
        k, o = mention_ids(kari)[0], mention_ids(ola)[0]
        kari.triage.tag([k], "billing")
        kari.team.exchange()
        ola.team.exchange()
        assert ola.triage.state(o).tags == ("billing",)
        # Offline: Ola removes the tag she saw, Kari adds it again and adds another.
        ola.triage.untag([o], "billing")
        kari.triage.untag([k], "billing")
        kari.triage.tag([k], "billing")
        kari.triage.tag([k], "urgent")
        ola.triage.add_note(o, "Called the customer, @Kari please follow up")
        kari.triage.add_note(k, "Refund approved")
        ola.team.exchange()
        kari.team.exchange()
        ola.team.exchange()
        # Kari's second add was not seen by Ola's remove: it stays.
        assert kari.triage.state(k).tags == ola.triage.state(o).tags == ("billing", "urgent")
        notes_k = sorted(n.body for n in kari.triage.notes(k))
        notes_o = sorted(n.body for n in ola.triage.notes(o))
        assert (
            notes_k == notes_o == ["Called the customer, @Kari please follow up", "Refund approved"]
        )


def test_the_network_client_is_not_loaded_before_the_first_paint() -> None:
    """nats-py costs a tenth of a second: the window and the CLI load it only to connect."""
    import subprocess
    import sys

    code = (
        "import sys; import app.bootstrap, app.cli.main, ui.main_window, ui.team.window; "
        "print(sorted(m for m in sys.modules if m == 'nats' or m.startswith('nats.')))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert found == "[]"
