"""`heedful analyse FILE.jsonl --json`, run as a user runs it: a separate process."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.analysis import pipeline
from app.cli.main import build_parser, run_command

POSTS: list[dict[str, Any]] = [
    {"id": "a1", "brand": "fjellform", "network": "mastodon", "author": "kari@toot.example",
     "created_at": "2026-11-04T09:00:00+00:00", "kind": "mention",
     "text": "My order FF-482913 hasn't arrived, mail me at kari@example.no"},
    {"id": "a2", "brand": "fjellform", "network": "bluesky", "author": "ola.bsky.social",
     "created_at": "2026-11-04T09:01:00Z", "kind": "mention",
     "text": "checkout is broken, card declined every time"},
    {"id": 3, "brand": "fjellform", "network": "mastodon", "author": "lena@troet.example",
     "created_at": "2026-11-04T09:03:00+00:00", "kind": "reply",
     "text": "Bezahlung schlägt fehl, die Karte ist aber in Ordnung"},
    {"id": "a4", "brand": "bre", "network": "mastodon", "author": "tom@toot.example",
     "created_at": "2026-11-04T09:03:30+00:00", "kind": "mention",
     "text": "your checkout is broken too?"},
    {"id": "a5", "brand": "fjellform", "network": "bluesky", "author": "sofia.bsky.social",
     "created_at": "2026-11-04T09:04:00+00:00", "kind": "mention",
     "text": "Kassa funker ikke!! Prøvd både Vipps og kort"},
    {"id": "a6", "brand": "fjellform", "network": "mastodon", "author": "kari@toot.example",
     "created_at": "2026-11-06T10:00:00+00:00", "kind": "mention",
     "text": "Still nothing on FF-482913. Anyone?"},
    {"id": "a7", "brand": "fjellform", "network": "mastodon", "author": "kari@toot.example",
     "created_at": "2026-11-07T10:00:00+00:00", "kind": "dm",
     "text": "Ring meg på 912 34 567 eller skriv til hjelp@fjellform.example"},
]  # fmt: skip
KEYS = ["id", "language", "sentiment", "sarcasm", "pii", "repeat_of", "cluster"]


def _heedful(*args: str, home: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HEEDFUL_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, text=True, input=stdin,
        timeout=120, env=env,
    )  # fmt: skip


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.xfail(
    reason="the sentiment model reads a neutral Norwegian contact request as negative"
    " (confidence 0.52), and a negative post after an open complaint counts as chasing it",
    strict=True,
)
def test_a_new_request_after_a_chased_complaint_is_not_a_repeat(tmp_path: Path) -> None:
    source = _write(tmp_path / "posts.jsonl", [json.dumps(p, ensure_ascii=False) for p in POSTS])
    result = _heedful("analyse", str(source), "--json", home=tmp_path / "home")
    by_id = {
        line["id"]: line for line in map(json.loads, result.stdout.splitlines()) if "id" in line
    }
    assert by_id["a6"]["repeat_of"] == "a1"
    assert by_id["a7"]["repeat_of"] is None  # a new request, not the parcel again


def test_analyse_prints_one_line_per_post_in_input_order_and_the_alert(tmp_path: Path) -> None:
    lines = [json.dumps(post, ensure_ascii=False) for post in POSTS]
    lines.insert(2, "{not json")
    lines.insert(5, json.dumps({"id": "x", "author": "a", "created_at": "yesterday", "text": "?"}))
    source = _write(tmp_path / "posts.jsonl", lines)
    home = tmp_path / "home"
    result = _heedful("analyse", str(source), "--json", home=home)
    assert result.returncode == 0, result.stderr
    output = [json.loads(line) for line in result.stdout.splitlines()]
    posts = [line for line in output if "alert" not in line]
    assert [line["id"] for line in posts] == [post["id"] for post in POSTS]
    for line in posts:
        assert list(line) == KEYS
        assert line["sarcasm"] in (True, False)
        for span in line["pii"]:
            assert list(span) == ["type", "start", "end"]
    by_id = {line["id"]: line for line in posts}
    text = POSTS[0]["text"]
    assert by_id["a1"]["pii"] == [
        {"type": "order_number", "start": text.index("FF-"), "end": text.index("FF-") + 9},
        {"type": "email", "start": text.index("kari@"), "end": len(text)},
    ]
    assert by_id["a1"]["language"] == "en"
    assert by_id["a6"]["repeat_of"] == "a1"
    # The checkout burst: three customers in three languages, one cluster, the alert at the third.
    cluster = by_id["a2"]["cluster"]
    assert cluster is not None
    assert by_id[3]["cluster"] == cluster
    assert by_id["a5"]["cluster"] == cluster
    assert by_id["a4"]["cluster"] is None  # another brand's post is never in it
    alert_at = [n for n, line in enumerate(output) if "alert" in line]
    assert alert_at == [output.index(by_id["a5"]) + 1]
    assert output[alert_at[0]] == {
        "alert": "spike", "brand": "fjellform", "cluster": cluster,
        "at": "2026-11-04T09:04:00+00:00", "posts": ["a2", 3, "a5"],
    }  # fmt: skip
    # Bad lines are named, with the line number, and skipped.
    assert f"{source}, line 3: not JSON" in result.stderr
    assert "line 6: created_at “yesterday” is not an ISO 8601 time; skipped" in result.stderr
    assert "2 line(s) skipped, 7 analysed" in result.stderr
    # Nothing is stored: no profile, database or log appears.
    assert not home.exists() or not any(home.rglob("*"))


def _in_process(*args: str) -> tuple[int, str]:
    """The same command in this process (quicker than a new one), output captured."""
    out = io.StringIO()
    code = run_command(build_parser().parse_args(list(args)), out)
    return code, out.getvalue()


def test_the_brand_profile_says_what_is_the_brands_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _write(tmp_path / "posts.jsonl", [json.dumps(POSTS[-1], ensure_ascii=False)])
    profile = tmp_path / "brand.json"
    profile.write_text(json.dumps({"name": "Fjellform", "support_emails":
                                   ["hjelp@fjellform.example"], "colour": "red"}))  # fmt: skip
    _, plain = _in_process("analyse", str(source), "--json")
    _, branded = _in_process("analyse", str(source), "--json", "--brand-profile", str(profile))
    assert [p["type"] for p in json.loads(plain)["pii"]] == ["phone", "email"]
    assert [p["type"] for p in json.loads(branded)["pii"]] == ["phone"]
    assert "brand profile: unknown setting 'colour' ignored" in capsys.readouterr().err
    code, _ = _in_process("analyse", str(source), "--brand-profile", str(tmp_path / "no.json"))
    assert code == 1
    assert "cannot read the brand profile" in capsys.readouterr().err


def test_analyse_reads_standard_input_and_prints_a_table_without_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = "\n".join(json.dumps(post, ensure_ascii=False) for post in POSTS[:2]) + "\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code, table = _in_process("analyse", "-")
    assert code == 0
    rows = table.splitlines()
    assert len(rows) == 2
    assert rows[0].startswith("a1 ")
    assert "pii:email,order_number" in rows[0]
    code, _ = _in_process("analyse", str(tmp_path / "nothing.jsonl"))
    assert code == 1
    assert "cannot read" in capsys.readouterr().err


def test_the_sentiment_model_is_used_once_it_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """app.analysis.sentiment comes from another part of the work: until it lands sentiment is
    null; once it is importable, its labels and sarcasm reach the output."""

    @dataclass(frozen=True)
    class Result:
        label: str
        sarcasm: bool
        confidence: float

    model = types.ModuleType("app.analysis.sentiment")
    model.classify = lambda text, language=None: Result("negative", "Super." in text, 0.9)  # type: ignore[attr-defined]
    model.MODEL_VERSION = "7"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "app.analysis.sentiment", model)
    post = {**POSTS[1], "text": "Great, third day without internet. Super."}
    source = _write(tmp_path / "posts.jsonl", [json.dumps(post)])
    _, output = _in_process("analyse", str(source), "--json")
    line = json.loads(output)
    assert (line["sentiment"], line["sarcasm"]) == ("negative", True)
    assert pipeline.version().startswith(f"{pipeline.ANALYSIS_VERSION}+sentiment-7")
