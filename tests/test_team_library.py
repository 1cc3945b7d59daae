"""The team's shared library on a real NATS server: snippets by UUID (edits and undo keep it),
a save against a stale version offers keep both or merge, shortcuts unique across the team,
the brand profile version-checked with apply mine anyway, team views on every laptop."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest

from storage.snippets import NewSnippet, Snippet, SnippetVariant

from app.bootstrap import Workspace
from app.cli.main import build_parser
from app.cli.team import run_team
from app.compose.brand import BrandProfile, EmojiPolicy

from tests.peers.nats_server import NatsPeer
from tests.team_helpers import laptop, team_of

pytestmark = pytest.mark.usefixtures("secret_service")

LATE = NewSnippet(
    title="Late delivery",
    body="Hi {author.first_name|there}, sorry it is late.",
    shortcut="late",
    tags=("delivery",),
    variants=(SnippetVariant("Hei, beklager forsinkelsen.", "nb"),),
)


def library(workspace: Workspace) -> dict[str, tuple[object, ...]]:
    """Each snippet by UUID as a person sees it (compared across laptops)."""
    return {
        s.uuid: (
            s.title,
            s.shortcut,
            s.body,
            s.tags,
            tuple((v.language, v.body) for v in s.variants),
        )
        for s in workspace.snippets.all()
    }


def only(workspace: Workspace, title: str) -> Snippet:
    [found] = [s for s in workspace.snippets.all() if s.title == title]
    return found


def exchange(*laptops: Workspace) -> list[str]:
    notices: list[str] = []
    for workspace in laptops:
        notices += workspace.team.exchange().notices
    return notices


def team_cli(workspace: Workspace, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = run_team(workspace, build_parser().parse_args(["team", *args]), out)
    return code, out.getvalue()


def test_a_snippet_reaches_teammates_under_its_uuid_and_edits_and_undo_keep_it(
    nats_peer: NatsPeer, tmp_path: Path
) -> None:
    with team_of(nats_peer, tmp_path) as (kari, ola):
        added = kari.snippets.save(LATE).snippet
        variant_uuid = added.variants[0].uuid
        exchange(kari, ola)
        assert library(ola) == library(kari)
        theirs = ola.snippets.repository.by_uuid(added.uuid)
        assert theirs is not None
        assert theirs.shortcut == "late"

        # An edit keeps the snippet's UUID and its variant's (edited in place, not re-made).
        edited = dataclasses.replace(
            added.as_new(),
            body="Hi, sorry: it is on its way.",
            variants=(SnippetVariant("Hei, den er på vei.", "nb"),),
        )
        kept = kari.snippets.save(edited, added.id).snippet
        assert (kept.uuid, kept.variants[0].uuid) == (added.uuid, variant_uuid)
        exchange(kari, ola)
        again = ola.snippets.repository.by_uuid(added.uuid)
        assert again is not None
        assert again.id == theirs.id
        assert library(ola) == library(kari)

        # Deleted, it leaves Ola's library; undone, it comes back as the same snippet.
        deleted = kari.snippets.delete(added.id).snippet
        exchange(kari, ola)
        assert ola.snippets.all() == []
        restored = kari.snippets.restore(deleted).snippet
        assert (restored.uuid, restored.variants[0].uuid) == (added.uuid, variant_uuid)
        exchange(kari, ola)
        assert library(ola) == library(kari)
        assert kari.team.facts().unconfirmed == 0


def test_a_snippet_saved_against_a_stale_version_offers_keep_both_or_merge(
    nats_peer: NatsPeer, tmp_path: Path
) -> None:
    with team_of(nats_peer, tmp_path) as (kari, ola):
        first = kari.snippets.save(LATE).snippet
        exchange(kari, ola)
        theirs = ola.snippets.repository.by_uuid(first.uuid)
        assert theirs is not None
        # Offline, both edit it from the same version: Kari the title and the text, Ola the
        # text (both changed it) and a tag.
        kari.snippets.save(
            dataclasses.replace(first.as_new(), title="Late parcel", body="Sorry, it is late!"),
            first.id,
        )
        ola.snippets.save(
            dataclasses.replace(
                theirs.as_new(), body="Sorry! It is on its way.", tags=("delivery", "apology")
            ),
            theirs.id,
        )
        exchange(kari)
        notices = exchange(ola)
        # Kari's came first: it stands, on Ola's laptop too; Ola is told and offered a choice.
        assert only(ola, "Late parcel").body == "Sorry, it is late!"
        assert any("was not applied: Kari changed it" in notice for notice in notices), notices
        assert ola.team.library is not None
        assert kari.team.library is not None
        [conflict] = ola.team.library.conflicts()
        assert kari.team.library.conflicts() == []  # it is Ola's to decide
        code, listed = team_cli(ola, "library")
        assert (code, f"heedful team keep-both|merge|apply-mine|keep-theirs {conflict.id}") == (
            0,
            listed.split(": ", 2)[-1].strip(),
        )

        # Merge: Kari's title (only she changed it), Ola's tag, and for the text both changed,
        # Ola's (said so).
        merge = ola.team.library.merge(conflict.id)
        assert merge.form.title == "Late parcel"
        assert merge.form.body == "Sorry! It is on its way."
        assert merge.form.tags == ("delivery", "apology")
        assert [clash.field for clash in merge.clashes] == ["the text"]
        assert merge.clashes[0].theirs == "Sorry, it is late!"
        code, said = team_cli(ola, "merge", str(conflict.id))
        assert code == 0
        assert "you both changed the text: yours kept" in said
        exchange(kari, ola)
        assert library(kari) == library(ola)
        assert only(kari, "Late parcel").body == "Sorry! It is on its way."
        assert ola.team.library.conflicts() == []

        # Keep both: another round of stale edits; Ola keeps hers beside Kari's.
        current = only(kari, "Late parcel")
        kari.snippets.save(dataclasses.replace(current.as_new(), body="Kari's words"), current.id)
        mine = only(ola, "Late parcel")
        ola.snippets.save(dataclasses.replace(mine.as_new(), body="Ola's words"), mine.id)
        exchange(kari, ola)
        [conflict] = ola.team.library.conflicts()
        code, _ = team_cli(ola, "keep-both", str(conflict.id))
        assert code == 0
        exchange(kari, ola)
        assert library(kari) == library(ola)
        both = sorted((s.title, s.shortcut, s.body) for s in kari.snippets.all())
        assert both == [
            ("Late parcel", "late", "Kari's words"),
            ("Late parcel (Ola)", "late-2", "Ola's words"),
        ]


def test_shortcuts_stay_unique_across_the_team_and_the_later_one_is_told(
    nats_peer: NatsPeer, tmp_path: Path
) -> None:
    with team_of(nats_peer, tmp_path, names=("kari", "ola", "tor")) as (kari, ola, tor):
        # Offline, Kari and Ola each make a snippet with the shortcut /late.
        kari.snippets.save(LATE)
        ola.snippets.save(dataclasses.replace(LATE, title="Delayed", body="It is delayed, sorry."))
        exchange(kari)
        told = exchange(ola)
        exchange(kari, tor)
        # The same on every laptop: Kari's (first in the stream) keeps /late, Ola's is /late-2.
        for workspace in (kari, ola, tor):
            shortcuts = sorted((s.title, s.shortcut) for s in workspace.snippets.all())
            assert shortcuts == [("Delayed", "late-2"), ("Late delivery", "late")], workspace
        assert "Your snippet /late is /late-2 now: Kari's /late was there first." in told
        assert library(kari) == library(ola) == library(tor)


def test_the_brand_profile_is_version_checked_theirs_stands_and_mine_can_be_applied_anyway(
    nats_peer: NatsPeer, tmp_path: Path
) -> None:
    with team_of(nats_peer, tmp_path) as (kari, ola):
        kari.brand.save(BrandProfile(name="Fjellform", sign_off="– {agent.name}, Fjellform"))
        exchange(kari, ola)
        assert ola.brand.profile().sign_off == "– {agent.name}, Fjellform"
        # Offline, both change it from that version; Kari's reaches the team first.
        kari.brand.save(dataclasses.replace(kari.brand.profile(), emoji=EmojiPolicy.NONE))
        ola.brand.save(dataclasses.replace(ola.brand.profile(), name="Fjellform AS"))
        exchange(kari)
        notices = exchange(ola)
        assert ola.brand.profile().name == "Fjellform"  # theirs stands
        assert ola.brand.profile().emoji.value == "none"
        assert "Your change to the brand voice was not applied: Kari changed it at" in notices[0]
        assert ola.team.library is not None
        [conflict] = ola.team.library.conflicts()
        code, said = team_cli(ola, "apply-mine", str(conflict.id))
        assert code == 0, said
        exchange(kari, ola)
        assert kari.brand.profile() == ola.brand.profile()
        assert kari.brand.profile().name == "Fjellform AS"


def test_a_team_view_is_on_every_laptop_and_leaves_them_when_unshared(
    nats_peer: NatsPeer, tmp_path: Path
) -> None:
    with team_of(nats_peer, tmp_path) as (kari, ola):
        ola.inbox.save_view("Billing", "tag:billing")  # Ola's own, with the same name
        kari.inbox.save_view("Billing", "tag:billing lang:nb")
        [view] = kari.inbox.saved_views()
        code, _ = team_cli(kari, "share-view", "billing")
        assert code == 0
        notices = exchange(kari, ola)
        views = {(v.name, v.query, v.team) for v in ola.inbox.saved_views()}
        assert views == {
            ("Billing", "tag:billing lang:nb", True),
            ("Billing (2)", "tag:billing", False),
        }
        assert "Your view “Billing” is “Billing (2)” here: the team has a “Billing”." in notices
        # Renamed by Kari: renamed on Ola's laptop; unshared: gone from Ola's, kept by Kari.
        kari.inbox.update_view(dataclasses.replace(kari.inbox.saved_views()[0], name="Billing NO"))
        exchange(kari, ola)
        assert "Billing NO" in {v.name for v in ola.inbox.saved_views()}
        code, _ = team_cli(kari, "unshare-view", "Billing NO")
        exchange(kari, ola)
        assert [(v.name, v.team) for v in ola.inbox.saved_views()] == [("Billing (2)", False)]
        assert [(v.name, v.team, v.uuid) for v in kari.inbox.saved_views()] == [
            ("Billing NO", False, view.uuid)
        ]


def test_joining_shares_what_the_laptop_had_and_gives_up_a_taken_shortcut(
    nats_peer: NatsPeer, tmp_path: Path
) -> None:
    with team_of(nats_peer, tmp_path, names=("kari",)) as (kari,):
        kari.snippets.save(LATE)
        exchange(kari)
        membership = kari.team.membership()
        assert membership is not None
        ola = laptop(tmp_path / "ola", "Ola")
        try:
            ola.snippets.save(dataclasses.replace(LATE, title="Ola's late", body="Late again."))
            ola.snippets.save(NewSnippet(title="Thanks", body="Thank you!", shortcut="thanks"))
            report = ola.team.join(nats_peer.url, membership.team, "ola", nats_peer.password("ola"))
            assert "Your snippet /late is /late-2 here: the team's “Late delivery” has /late." in (
                report.notices
            )
            exchange(kari)
            assert library(kari) == library(ola)
            assert sorted(s.shortcut or "" for s in kari.snippets.all()) == [
                "late",
                "late-2",
                "thanks",
            ]
        finally:
            ola.close()


def test_library_events_that_are_not_valid_are_refused(nats_peer: NatsPeer, tmp_path: Path) -> None:
    from app.team.wire import MalformedEvent, decode

    with team_of(nats_peer, tmp_path, names=("kari",)) as (kari,):
        kari.snippets.save(LATE)
        [event] = kari.team.outbox.to_publish()
        text = event.payload.decode()
        for hostile in (
            text.replace('"shortcut":"late"', '"shortcut":"la te"'),
            text.replace('"title":"Late delivery"', '"title":"\\u202eyreviled"'),
            text.replace('"tags":["delivery"]', '"tags":[{"a":1}]'),
            json.dumps({**json.loads(text), "variants": [{"body": 3}]}),
        ):
            with pytest.raises(MalformedEvent):
                decode(hostile.encode(), subject_type="snippet.save")


def test_a_brands_service_levels_are_the_teams_and_a_default_made_here_is_not(
    nats_peer: NatsPeer, tmp_path: Path
) -> None:
    from app.reports.sla import SlaPolicy, SlaSettings, Target

    with team_of(nats_peer, tmp_path) as (kari, ola):
        kari_sla, ola_sla = SlaSettings(kari.sla_policies), SlaSettings(ola.sla_policies)
        # A default saved the first time a report needs it (this laptop's zone) stays here.
        ola_sla.ensure(["fjellform"])
        assert ola.team.facts().waiting == 0
        hour = SlaPolicy(brand="", time_zone="Europe/Oslo", targets=(Target("", "", 3600),))
        kari_sla.save(hour)
        exchange(kari, ola)
        assert ola_sla.policy("").targets == (Target("", "", 3600),)
        assert ola_sla.policy("").time_zone == "Europe/Oslo"
        # Both change it from that version; Kari's is first: hers stands, Ola may apply hers.
        kari_sla.save(dataclasses.replace(hour, targets=(Target("", "", 1800),)))
        ola_sla.save(dataclasses.replace(hour, time_zone="Europe/Berlin"))
        exchange(kari)
        notices = exchange(ola)
        assert ola_sla.policy("").targets == (Target("", "", 1800),)
        assert ola_sla.policy("").time_zone == "Europe/Oslo"
        assert any("service levels was not applied: Kari changed it" in n for n in notices)
        assert ola.team.library is not None
        [conflict] = ola.team.library.conflicts()
        code, _ = team_cli(ola, "apply-mine", str(conflict.id))
        assert code == 0
        exchange(ola, kari)
        assert kari_sla.policy("").time_zone == "Europe/Berlin"
        assert kari_sla.policy("") == ola_sla.policy("")
