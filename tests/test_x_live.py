"""The X flows against the real X API, with your own X app and X account: opt-in, never in CI.

Deselected by default (pytest runs `-m "not live"`); run them with

    HEEDFUL_X_LIVE_TOKENS=~/x-live.json ./dev test tests/test_x_live.py -m live

Environment variables:

- `HEEDFUL_X_LIVE_TOKENS` (required): a JSON file `{"client_id": ..., "refresh_token": ...}`
  for the account to test with. Make it once with
  `python -m tests.test_x_live sign-in --client-id YOUR_CLIENT_ID [--port 51737]` (it opens
  the browser; the callback address must be registered in your app). X's refresh tokens
  work once: every run renews the sign-in and writes the new refresh token back to this
  file at once, so keep the file private and do not run two live runs at the same time.
- `HEEDFUL_X_LIVE_READS`: the most resources the run may read (default 60). X bills each
  post, user and message read (about $0.005 to $0.01 each): the default costs well under a
  dollar.
- `HEEDFUL_X_LIVE_REPLY_TO`: the id of a post to reply to (your own test post is best). With
  it, the run posts one public reply (billed), loses X's answer on purpose, checks that
  Heedful finds the reply on X instead of posting it again, and deletes it.
- `HEEDFUL_X_LIVE_DM=1` (with `HEEDFUL_X_LIVE_REPLY_TO`): also one direct message to that
  post's author (who must accept DMs from the account), found the same way, then deleted.
- `HEEDFUL_X_LIVE_STRICT=1`: fail on any difference between X's answers and its published
  schemas (the ones the loopback test server holds Heedful to). Without it the differences
  are printed and written to `build/x-live-contract.txt`: they are what the test server's
  contract gets wrong about the real X (`post.fields` against `tweet.fields`, say).
- `HEEDFUL_X_LIVE_SERVER`: another API address than https://api.x.com. Only for checking
  these tests themselves against the loopback test server (tests/test_x_live_dry.py does).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
import webbrowser
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from storage.records import Account, AccountState, OutboxState, utc_now
from storage.usage import UsageRepository

from app.bootstrap import Workspace
from app.networks.factory import ConnectorFactory
from app.networks.x import client as x_client
from app.networks.x.auth import API_SERVER, DEFAULT_CALLBACK_PORT, TokenKeeper, XSignIn
from app.networks.x.spend import billing_day

pytestmark = [pytest.mark.live, pytest.mark.usefixtures("secret_service")]

TOKENS_VARIABLE = "HEEDFUL_X_LIVE_TOKENS"
SERVER = os.environ.get("HEEDFUL_X_LIVE_SERVER", API_SERVER)
REPORT = Path(__file__).resolve().parent.parent / "build" / "x-live-contract.txt"


# --- the saved sign-in -------------------------------------------------------------------------


def _tokens_file() -> Path:
    value = os.environ.get(TOKENS_VARIABLE)
    if not value:
        pytest.skip(f"live X tests need {TOKENS_VARIABLE} (see this file's docstring)")
    return Path(value).expanduser()


def _write_tokens(path: Path, client_id: str, refresh_token: str) -> None:
    """At once and whole: the old refresh token no longer works once X has answered."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"client_id": client_id, "refresh_token": refresh_token}))
    temporary.chmod(0o600)
    temporary.replace(path)


@pytest.fixture
def live_account(workspace: Workspace) -> Iterator[Account]:
    """The account, renewed from the saved refresh token and added to a fresh workspace; the
    refresh token the run ends with goes back to the file."""
    path = _tokens_file()
    saved = json.loads(path.read_text())
    client_id, refresh = str(saved["client_id"]), str(saved["refresh_token"])

    def keep(secret: dict[str, Any]) -> None:
        _write_tokens(path, client_id, str(secret["refresh_token"]))

    keeper = TokenKeeper(
        SERVER,
        {"access_token": "expired", "refresh_token": refresh, "expires_at": 0,
         "client_id": client_id},
        keep,
        requests.Session(),
    )  # fmt: skip
    keeper.bearer()  # renews now, and `keep` saves the rotated refresh token
    account = workspace.account_service.add_x_signed_in(client_id, keeper.tokens, server=SERVER)
    yield account
    name = f"account:x:{account.server}:{account.handle}"
    last = workspace.secrets.get(name)
    if last and last.get("refresh_token"):
        _write_tokens(path, client_id, str(last["refresh_token"]))


# --- every exchange held to the published contract, and answers that can be lost -------------


class LiveTraffic:
    """Wraps the sessions Heedful's X client makes: every request and answer is checked
    against X's published schemas (as the loopback server does), and an answer can be lost
    on purpose after X has acted on the request."""

    def __init__(self) -> None:
        self.differences: list[str] = []
        self.refused: list[str] = []
        self.exchanges: list[tuple[str, str, int]] = []
        self.lose_next: set[str] = set()  # "POST /2/tweets": X acts, Heedful hears nothing
        self.created: list[str] = []  # paths to DELETE afterwards

    def session(self, watch: Any) -> requests.Session:
        made = ORIGINAL_SESSION(watch)
        for scheme in ("https://", "http://"):
            made.mount(scheme, _LosingAdapter(made.get_adapter(scheme), self))
        return made

    def check(self, response: requests.Response) -> None:
        from tests.peers.x_contract import check_answer, check_request, find_operation

        request = response.request
        parts = urlsplit(request.url or "")
        self.exchanges.append((request.method or "", parts.path, response.status_code))
        if response.status_code >= 400 and response.status_code != 429:
            self.refused.append(
                f"{request.method} {parts.path} -> {response.status_code}: {response.text[:500]}"
            )
        found = find_operation(request.method or "", parts.path)
        if found is None:
            if not parts.path.startswith("/2/oauth2/"):
                self.differences.append(f"{request.method} {parts.path}: not in the contract")
            return
        operation, values = found
        body = json.loads(request.body) if request.body else None
        problems = check_request(
            operation,
            values,
            parse_qs(parts.query, keep_blank_values=True),
            body,
            content_type=request.headers.get("Content-Type"),
        )
        try:
            answer = response.json()
        except ValueError:
            answer = None
        problems += check_answer(operation, response.status_code, answer)
        where = f"{request.method} {parts.path} ({operation.operation_id})"
        self.differences += [f"{where}: {problem}" for problem in problems]


ORIGINAL_SESSION = x_client.requests_session


class _LosingAdapter(requests.adapters.BaseAdapter):
    def __init__(self, inner: requests.adapters.BaseAdapter, traffic: LiveTraffic) -> None:
        super().__init__()
        self._inner, self._traffic = inner, traffic

    def send(  # type: ignore[override]  # only the options requests passes
        self, request: requests.PreparedRequest, **options: Any
    ) -> requests.Response:
        response = self._inner.send(request, **options)
        self._traffic.check(response)
        key = f"{request.method} {urlsplit(request.url or '').path}"
        if key in self._traffic.lose_next:
            self._traffic.lose_next.discard(key)
            raise requests.ReadTimeout("the answer was lost on purpose (live test)")
        return response

    def close(self) -> None:
        self._inner.close()


@pytest.fixture
def traffic(monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveTraffic]:
    seen = LiveTraffic()
    monkeypatch.setattr(x_client, "requests_session", seen.session)
    yield seen
    if seen.differences:
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        with REPORT.open("a", encoding="utf-8") as report:
            report.write("\n".join(seen.differences) + "\n")
        print("\nX's answers differ from its published schemas:", *seen.differences, sep="\n")
    if os.environ.get("HEEDFUL_X_LIVE_STRICT") == "1":
        assert not seen.differences


def _read_budget() -> int:
    return int(os.environ.get("HEEDFUL_X_LIVE_READS", "60"))


# --- the flows ---------------------------------------------------------------------------------


def test_live_mentions_and_direct_messages_arrive_within_the_read_budget(
    live_account: Account, workspace: Workspace, traffic: LiveTraffic
) -> None:
    usage = UsageRepository(workspace.store)
    budget = _read_budget()
    usage.set_daily_read_budget(live_account.id, budget)
    report = workspace.sync.sync_account(workspace.accounts.get(live_account.id))
    assert report.state is AccountState.OK, report.detail
    assert traffic.refused == []  # X accepted every request as Heedful makes it
    spent = usage.day(live_account.id, billing_day(utc_now())).reads
    assert spent <= budget
    kinds = {
        str(kind)
        for (kind,) in workspace.store.conn.execute(
            "SELECT DISTINCT kind FROM mentions WHERE account_id = ?", [live_account.id]
        )
    }
    assert kinds <= {"mention", "reply", "quote", "direct"}
    # The fields Heedful asks for came back (X did not ignore their names): every stored
    # post has its author and time, or it would have been skipped.
    assert report.skipped == 0, workspace.health.channels()[0].last_skip_reason
    print(f"\nlive X: {report.added} stored, {spent} reads, exchanges: {traffic.exchanges}")


def _reply_target(workspace: Workspace, account: Account) -> int:
    post_id = os.environ.get("HEEDFUL_X_LIVE_REPLY_TO")
    if not post_id:
        pytest.skip("set HEEDFUL_X_LIVE_REPLY_TO to a post id to post a reply (billed, public)")
    connector = ConnectorFactory(workspace.secrets, None, UsageRepository(workspace.store))(account)
    try:
        workspace.mentions.ingest(connector.fetch_thread(post_id))
    finally:
        connector.close()
    row = workspace.store.conn.execute(
        "SELECT id FROM mentions WHERE account_id = ? AND platform_id = ?", [account.id, post_id]
    ).fetchone()
    assert row is not None, f"post {post_id} could not be fetched"
    return int(row[0])


def _send_losing_the_first_answer(
    workspace: Workspace, account: Account, traffic: LiveTraffic, key: str
) -> str:
    traffic.lose_next.add(key)
    first = workspace.sync.sync_account(workspace.accounts.get(account.id), pull=False)
    assert first.sent == 0
    (item,) = workspace.outbox.all()
    assert item.state is OutboxState.UNKNOWN  # X has it; Heedful does not know yet
    workspace.store.conn.execute("UPDATE outbox SET next_attempt_at = NULL")
    workspace.sync.sync_account(workspace.accounts.get(account.id), pull=False)
    (item,) = workspace.outbox.all()
    assert item.state is OutboxState.SENT
    assert item.platform_id
    made = [e for e in traffic.exchanges if f"{e[0]} {e[1]}" == key]
    assert len(made) == 1  # posted once: the second sync found it instead
    return item.platform_id


def test_live_a_reply_whose_answer_is_lost_is_found_not_posted_again(
    live_account: Account, workspace: Workspace, traffic: LiveTraffic
) -> None:
    mention_id = _reply_target(workspace, live_account)
    text = f"Heedful test {uuid.uuid4().hex[:8]}: please ignore, this reply is deleted at once."
    workspace.replies.queue(mention_id, text)
    post_id = _send_losing_the_first_answer(workspace, live_account, traffic, "POST /2/tweets")
    _delete(workspace, live_account, f"/2/tweets/{post_id}")


def test_live_a_direct_message_whose_answer_is_lost_is_found_not_sent_again(
    live_account: Account, workspace: Workspace, traffic: LiveTraffic
) -> None:
    if os.environ.get("HEEDFUL_X_LIVE_DM") != "1":
        pytest.skip("set HEEDFUL_X_LIVE_DM=1 to send a direct message (billed)")
    mention_id = _reply_target(workspace, live_account)
    author = workspace.mentions.get(mention_id).author.platform_id
    text = f"Heedful test {uuid.uuid4().hex[:8]}: please ignore, deleted at once."
    workspace.replies.queue(mention_id, text, direct=True)
    key = f"POST /2/dm_conversations/with/{author}/messages"
    event_id = _send_losing_the_first_answer(workspace, live_account, traffic, key)
    _delete(workspace, live_account, f"/2/dm_events/{event_id}")


def _delete(workspace: Workspace, account: Account, path: str) -> None:
    secret = workspace.secrets.get(f"account:x:{account.server}:{account.handle}")
    assert secret is not None
    answer = requests.delete(
        f"{SERVER}{path}",
        headers={"Authorization": f"Bearer {secret['access_token']}"},
        timeout=20,
    )
    assert answer.ok, f"could not delete {path}: {answer.status_code} {answer.text[:300]}"


# --- making the tokens file once ---------------------------------------------------------------


def _sign_in(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.test_x_live sign-in")
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--port", type=int, default=DEFAULT_CALLBACK_PORT)
    parser.add_argument("--out", default=os.environ.get(TOKENS_VARIABLE, "x-live.json"))
    args = parser.parse_args(arguments)

    class _Memory:  # the sign-in's own notes, kept for this one run only
        def __init__(self) -> None:
            self.values: dict[str, Any] = {}

        def get(self, name: str) -> Any:
            return self.values.get(name)

        def put(self, name: str, value: Any) -> None:
            self.values[name] = value

    flow = XSignIn(_Memory(), client_id=args.client_id, port=args.port)
    address = flow.start()
    print(f"Register {flow.redirect_uri} in your app, then allow access:\n  {address}")
    webbrowser.open(address)
    tokens = flow.wait_for_browser()
    if tokens.refresh_token is None:
        print("X gave no refresh token: the app must allow offline.access.", file=sys.stderr)
        return 1
    _write_tokens(Path(args.out).expanduser(), args.client_id, tokens.refresh_token)
    print(f"Saved to {args.out}; set {TOKENS_VARIABLE}={args.out}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] != ["sign-in"]:
        print(__doc__)
        sys.exit(2)
    sys.exit(_sign_in(sys.argv[2:]))
