"""Transport: TLS verification is never turned off, plain http only to this computer, every
request has a timeout (a silent server cannot hang a sync), and logs never carry secrets."""

from __future__ import annotations

import logging
import re
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.records import Account, AccountState, Network

from app.logs import REDACTED, RedactSecrets, configure_logging, redact
from app.networks.bluesky import connector as bluesky
from app.networks.errors import BadServerAddress, NetworkError, Offline
from app.networks.factory import ConnectorFactory
from app.networks.mastodon import connector as mastodon
from app.networks.mastodon.auth import normalize_server
from app.secrets import SecretStore

ROOT = Path(__file__).parent.parent

# Ways Python code turns certificate checks off.
_INSECURE = re.compile(
    r"verify\s*=\s*False|CERT_NONE|check_hostname\s*=\s*False|_create_unverified_context"
    r"|PYTHONHTTPSVERIFY|disable_warnings\(|InsecureRequestWarning"
)


def _insecure_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if _INSECURE.search(line)]


def test_the_insecure_pattern_finds_what_it_looks_for() -> None:
    assert _insecure_lines("requests.get(url, verify=False)\nok = 1") == [
        "requests.get(url, verify=False)"
    ]
    assert _insecure_lines("ctx.check_hostname = False")


def test_tls_verification_is_never_turned_off_in_heedful() -> None:
    found = {
        str(path.relative_to(ROOT)): lines
        for folder in ("app", "storage", "ui", "packaging")
        for path in (ROOT / folder).rglob("*.py")
        if (lines := _insecure_lines(path.read_text(encoding="utf-8")))
    }
    assert found == {}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("mastodon.social", "https://mastodon.social"),
        ("https://social.example/", "https://social.example"),
        ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("http://[::1]:2583", "http://[::1]:2583"),
    ],
)
def test_https_or_loopback_addresses_are_accepted(typed: str, expected: str) -> None:
    assert normalize_server(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "http://social.example",
        "http://10.0.0.5",
        "http://127.0.0.1.evil.example",
        "ftp://x.example",
    ],
)
def test_plain_http_to_another_computer_is_refused_clearly(typed: str) -> None:
    with pytest.raises(BadServerAddress) as refused:
        normalize_server(typed)
    assert typed.split("://")[1] in str(refused.value) or "not a server address" in str(
        refused.value
    )


def _account(server: str, network: Network = Network.MASTODON) -> Account:
    return Account(
        id=1,
        network=network,
        server=server,
        handle="fjellform",
        display_name="",
        platform_user_id="1",
        state=AccountState.OK,
        state_detail="",
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
    )


class _NoKeyring(SecretStore):
    """The factory must refuse before it ever asks for the token."""

    def get(self, name: str) -> dict[str, object] | None:
        raise AssertionError("the keyring was read for a plain-http server")


@pytest.mark.parametrize("network", list(Network))
def test_a_stored_plain_http_account_never_gets_its_token_sent(network: Network) -> None:
    factory = ConnectorFactory(_NoKeyring("test"))
    with pytest.raises(BadServerAddress, match="plain http"):
        factory(_account("http://social.example", network))


class _SilentServer:
    """Accepts connections and never answers: what a stuck server looks like."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        self.socket.settimeout(0.2)
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            self.accepted.append(connection)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.socket.getsockname()[1]}"

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for connection in self.accepted:
            connection.close()
        self.socket.close()


@pytest.fixture
def silent_server() -> Iterator[_SilentServer]:
    server = _SilentServer()
    yield server
    server.close()


def test_a_silent_mastodon_server_times_out_instead_of_hanging_the_sync(
    silent_server: _SilentServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert mastodon.REQUEST_TIMEOUT_S <= 60
    monkeypatch.setattr(mastodon, "REQUEST_TIMEOUT_S", 1)  # the real one is 20 s
    connector = mastodon.MastodonConnector(
        account_id=1,
        server=silent_server.url,
        access_token="t",
        own_user_id="1",
        own_handle="fjellform@127.0.0.1",
    )
    try:
        with pytest.raises(Offline, match="Cannot reach"):
            next(connector.fetch_new(None))
    finally:
        connector.close()
    assert silent_server.accepted  # it did connect, and then waited in vain


def test_a_silent_bluesky_server_times_out_instead_of_hanging_the_sync(
    silent_server: _SilentServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert bluesky.REQUEST_TIMEOUT_S <= 60
    monkeypatch.setattr(bluesky, "REQUEST_TIMEOUT_S", 1)
    client = bluesky.bluesky_client(silent_server.url)
    assert client.request._client.timeout.read == 1

    def resume_and_fetch() -> None:
        connector = bluesky.BlueskyConnector(
            account_id=1,
            server=silent_server.url,
            session="fjellform.test:::did:plc:x:::eyJa.eyJb.c:::eyJa.eyJb.c:::" + silent_server.url,
            own_did="did:plc:x",
            save_session=lambda _s: None,
        )
        try:
            next(connector.fetch_new(None))
        finally:
            connector.close()

    with pytest.raises(NetworkError):  # either while resuming the session or while fetching
        resume_and_fetch()
    assert silent_server.accepted


# --- logs ---------------------------------------------------------------------------------------

LEAKY_MESSAGES = [
    ("GET https://s.example/api/v1/notifications?access_token=%s&limit=80", "Tk9mW2xQ"),
    ("headers {'Authorization': 'Bearer %s', 'User-Agent': 'Heedful'}", "Zm9vYmFyYmF6"),
    ('{"accessJwt": "%s", "did": "did:plc:x"}', "eyJhbGciOiJFUzI1NksifQ.eyJzY29wZSI6ImNvbSJ9.c2ln"),
    ("login with app password %s", "abcd-efgh-ijkl-mnop"),
    ("token request: client_secret=%s&code_verifier=v", "c2VjcmV0LXZhbHVl"),
    ("refresh failed for %s", "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJkaWQ6cGxjOngifQ.AbCdEf"),
]


@pytest.mark.parametrize(("template", "secret"), LEAKY_MESSAGES)
def test_secrets_are_redacted_from_log_messages(template: str, secret: str) -> None:
    cleaned = redact(template % secret)
    assert secret not in cleaned
    assert REDACTED in cleaned


def test_ordinary_messages_are_left_alone() -> None:
    for message in (
        "sync of kari@toot.example: 3 new, 1 skipped",
        "start-up: store took 12.0 ms",
        "skipped a Mastodon item: 1234: unreadable time 'yesterday'",
    ):
        assert redact(message) == message


def test_the_log_file_and_stderr_never_show_a_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = configure_logging(tmp_path / "logs", verbose=True)
    try:
        library = logging.getLogger("urllib3.connectionpool")
        for template, secret in LEAKY_MESSAGES:
            library.info(template, secret)
        try:
            raise ValueError(f"request failed: Authorization: Bearer {LEAKY_MESSAGES[1][1]}")
        except ValueError:
            logging.getLogger("app.sync.service").exception("sync crashed")
    finally:
        for handler in list(logging.getLogger().handlers):
            handler.flush()
    written = log_file.read_text(encoding="utf-8") + capsys.readouterr().err
    assert "sync crashed" in written
    assert "ValueError" in written
    for _template, secret in LEAKY_MESSAGES:
        assert secret not in written
    assert all(
        any(isinstance(f, RedactSecrets) for f in handler.filters)
        for handler in logging.getLogger().handlers
        if (handler.get_name() or "").startswith("heedful")
    )


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """configure_logging installs handlers on the root logger: take them off again."""
    yield
    root = logging.getLogger()
    for handler in list(root.handlers):
        if (handler.get_name() or "").startswith("heedful"):
            root.removeHandler(handler)
            handler.close()
