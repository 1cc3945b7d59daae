"""The X test server's own contract checks: a request or an answer that breaks X's published
schemas is caught (500, and a violation the test sees), so the connector cannot pass by
agreeing with a mistaken server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.peers import x as x_peer_module
from tests.peers.x import XPeer
from tests.peers.x_contract import _BOUNDS, OPERATIONS

# The specification itself, where shared/ lies beside the clone (never needed: skipped without).
_HERE = Path(__file__).resolve()
SPEC = next(
    (
        found
        for found in (up / "shared" / "specs" / "x-api-v2" / "openapi.json" for up in _HERE.parents)
        if found.exists()
    ),
    _HERE.parent / "no-specification",
)


@pytest.fixture
def peer() -> Any:
    with XPeer() as running:
        yield running


def test_a_request_in_an_older_api_dialect_is_refused_and_recorded(peer: XPeer) -> None:
    brand = peer.create_user("brand")
    token = peer.issue_token(brand)["access_token"]
    answer = requests.get(
        f"{peer.base_url}/2/users/{brand.id}/mentions",
        params={
            "tweet.fields": "created_at",
            "expansions": "referenced_tweets.id",
            "max_results": "500",
        },
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert answer.status_code == 500
    problems = answer.json()["problems"]
    assert "query parameter 'tweet.fields' is not one X defines for this endpoint" in problems
    assert "max_results=500 is above the maximum 100" in problems
    assert any("referenced_tweets.id" in p for p in problems)
    with pytest.raises(AssertionError, match="X contract violations"):
        peer.assert_clean()


def test_a_malformed_body_is_refused(peer: XPeer) -> None:
    brand = peer.create_user("brand")
    token = peer.issue_token(brand)["access_token"]
    answer = requests.post(
        f"{peer.base_url}/2/tweets",
        json={"text": "hi", "reply": {"in_reply_to_status_id": "1"}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert answer.status_code == 500
    assert any("in_reply_to_tweet_id" in p for p in answer.json()["problems"])
    peer.violations.clear()


def test_an_answer_that_breaks_the_schema_is_never_sent(
    peer: XPeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    brand, kari = peer.create_user("brand"), peer.create_user("kari")
    kari.post("@brand hello")
    token = peer.issue_token(brand)["access_token"]
    original = XPeer._render_post

    def old_dialect(self: XPeer, post: Any, fields: Any) -> dict[str, Any]:
        rendered = original(self, post, fields)
        rendered["id"] = int(rendered["id"])  # a number where X's schema says string
        return rendered

    monkeypatch.setattr(x_peer_module.XPeer, "_render_post", old_dialect)
    answer = requests.get(
        f"{peer.base_url}/2/users/{brand.id}/mentions",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert answer.status_code == 500
    assert any("(server)" in p and "data.0.id" in p for p in answer.json()["problems"])
    peer.violations.clear()


@pytest.mark.skipif(not SPEC.exists(), reason="X's OpenAPI document is not beside this clone")
def test_the_transcribed_bounds_match_the_specification() -> None:
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    by_id = {
        operation["operationId"]: operation
        for path in spec["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    for operation in OPERATIONS:
        declared = {}
        for parameter in by_id[operation.operation_id].get("parameters", []):
            if "$ref" in parameter:
                parameter = spec["components"]["parameters"][parameter["$ref"].split("/")[-1]]
            schema = parameter.get("schema", {})
            if "$ref" in schema:
                schema = spec["components"]["schemas"][schema["$ref"].split("/")[-1]]
            kept = {
                k: schema[k]
                for k in ("minimum", "maximum", "pattern", "minLength", "maxLength")
                if k in schema
            }
            if kept:
                declared[parameter["name"]] = kept
        assert declared == _BOUNDS[operation.operation_id], operation.operation_id
