"""`heedful snippets …` and `heedful reply --snippet`, run as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from storage.mentions import InboxFilter

from app.bootstrap import StartupOptions, build_workspace
from app.paths import DEMO_PROFILE, AppPaths

from tests.factories import author, brand_account, mention
from tests.peers.mastodon import MastodonPeer


def heedful(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )


@pytest.fixture
def demo_home(heedful_home: Path, demo_database: Path) -> Path:
    import shutil

    target = AppPaths.resolve(heedful_home).profile(DEMO_PROFILE).database
    target.parent.mkdir(parents=True)
    shutil.copy2(demo_database, target)
    return heedful_home


def _demo_mention(language: str, network: str, contains: str = "") -> dict[str, object]:
    listed = json.loads(heedful("--demo", "inbox", "list", "--json", "--limit", "400").stdout)
    return next(
        item
        for item in listed
        if item["language"] == language
        and item["network"] == network
        and contains in str(item["text"])
        and item["kind"] == "mention"
    )


def test_the_demo_ships_the_brand_voice_pack(demo_home: Path) -> None:
    result = heedful("--demo", "snippets", "list", "--json")
    assert result.returncode == 0, result.stderr
    snippets = json.loads(result.stdout)
    assert len(snippets) >= 12
    assert {"late", "outage", "dm", "return", "size", "thanks"} <= {s["shortcut"] for s in snippets}
    human = heedful("--demo", "snippets", "list", "--search", "refund").stdout
    assert "/refund" in human


def test_export_then_import_into_another_workspace(demo_home: Path, tmp_path: Path) -> None:
    pack = tmp_path / "voice.json"
    assert heedful("--demo", "snippets", "export", str(pack)).returncode == 0
    imported = heedful("snippets", "import", str(pack))  # the user's own, empty workspace
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith("13 snippets imported")
    exported_again = heedful("snippets", "export").stdout
    assert json.loads(exported_again)["snippets"] == json.loads(pack.read_text())["snippets"]
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "something else"}')
    refused = heedful("snippets", "import", str(broken))
    assert refused.returncode == 1
    assert "not a snippet pack" in refused.stderr


def test_dry_run_renders_in_the_customers_language_and_lists_findings(demo_home: Path) -> None:
    norwegian = _demo_mention("nb", "mastodon")
    result = heedful("--demo", "reply", str(norwegian["id"]), "--snippet", "late", "--dry-run")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["text"].startswith("Hei ")
    assert shown["as_posted"] == f"@{norwegian['author_handle']} {shown['text']}"
    assert "beklager" in shown["text"]
    assert shown["would_queue"] is True
    assert all(not finding["blocking"] for finding in shown["findings"])


def test_dry_run_of_a_blocked_reply_exits_non_zero(demo_home: Path) -> None:
    french = _demo_mention("fr", "mastodon")
    result = heedful(
        "--demo", "reply", str(french["id"]), "--snippet", "track", "--dry-run",
        "--fill", "order number=FF-123456",
    )  # fmt: skip
    assert result.returncode == 1
    shown = json.loads(result.stdout)
    kinds = {finding["kind"]: finding for finding in shown["findings"]}
    assert kinds["placeholder"]["blocking"] is True  # delivery day, tracking link not given
    assert "FF-123456" in shown["text"]
    assert kinds["pii"]["blocking"] is True  # an order number in public
    assert "language" not in kinds  # the pack's French variant was chosen
    assert shown["text"].startswith("Bonjour ")
    assert shown["would_queue"] is False


def test_the_brand_profile_from_a_file_changes_the_guardrails(
    heedful_home: Path, tmp_path: Path
) -> None:
    profile = tmp_path / "brand.json"
    profile.write_text(
        json.dumps({"name": "Fjellform", "banned_phrases": ["no worries"], "emojis": "none"})
    )
    loaded = heedful("brand", "load", str(profile))
    assert loaded.returncode == 0, loaded.stderr
    assert "unknown setting 'emojis' ignored" in loaded.stderr
    shown = json.loads(heedful("brand", "show").stdout)
    assert shown["name"] == "Fjellform"
    assert shown["banned_phrases"] == ["no worries"]


def test_a_blocked_reply_is_refused_and_nothing_is_queued(heedful_home: Path) -> None:
    workspace = build_workspace(StartupOptions())
    account = workspace.accounts.add(brand_account())
    workspace.mentions.ingest([mention(account.id, 1, by=author(name="Kari Nordmann"))])
    mention_id = workspace.inbox.list_rows(InboxFilter(), 1)[0].id
    workspace.close()
    assert heedful("snippets", "import", "resources/snippets/fjellform.json").returncode == 0
    result = heedful("reply", str(mention_id), "--snippet", "track")
    assert result.returncode == 1
    assert "blocks: Not filled in yet: {?order number}" in result.stderr
    assert "not queued" in result.stderr
    assert json.loads(heedful("outbox", "list", "--json").stdout) == []
    unknown = heedful("reply", str(mention_id), "--snippet", "nope")
    assert unknown.returncode == 1
    assert "no snippet has the shortcut /nope" in unknown.stderr


@pytest.mark.mastodon
@pytest.mark.usefixtures("secret_service")
def test_a_snippet_reply_reaches_the_customer_on_mastodon(
    mastodon_peer: MastodonPeer, heedful_home: Path
) -> None:
    brand, customer = mastodon_peer.new_account(), mastodon_peer.new_account()
    workspace = build_workspace(StartupOptions())
    flow = workspace.account_service.begin_mastodon_sign_in(mastodon_peer.base_url)
    mastodon_peer.authorize_in_browser(flow.start(), brand.username, open_redirect=True)
    account = workspace.account_service.finish_mastodon_sign_in(
        flow.server, flow.wait_for_browser(timeout=20)
    )
    question = customer.post(f"@{brand.username} my jacket arrived and it's perfect, thank you!")
    workspace.sync.sync_account(account)
    mention_id = workspace.inbox.list_rows(InboxFilter(), 1)[0].id
    workspace.close()
    assert heedful("snippets", "import", "resources/snippets/fjellform.json").returncode == 0

    result = heedful("reply", str(mention_id), "--snippet", "thanks")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Sent:")
    replies = customer.context(question["id"])["descendants"]
    assert len(replies) == 1
    assert "made our day" in replies[0]["content"]
    assert f"@{customer.username}" in replies[0]["content"]
    listed = json.loads(heedful("snippets", "list", "--json").stdout)
    assert next(s for s in listed if s["shortcut"] == "thanks")["usage_count"] == 1


def test_dry_run_of_a_reply_to_a_direct_message_says_it_is_private(demo_home: Path) -> None:
    listed = heedful("--demo", "inbox", "list", "--json", "--view", "dms", "--limit", "1")
    [dm] = json.loads(listed.stdout)
    result = heedful("--demo", "reply", str(dm["id"]), "--text", "Sending it now!", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["direct"] is True
