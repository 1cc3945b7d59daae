"""Secrets live in the OS keyring only. Against the real Secret Service (GNOME Keyring) and the
real loopback peers: add a Mastodon and a Bluesky account, restart, sync; then every byte Heedful
wrote (database and WAL, settings, logs, anything else under its home), the command line of a
running `heedful` process and its output are searched for every secret: zero hits."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from storage.records import AccountState

from app.bootstrap import StartupOptions, Workspace, build_workspace
from app.logs import configure_logging
from app.networks.mastodon.auth import MastodonSignIn
from app.secrets import KeyringUnavailable, SecretStore, account_secret_name

from tests.peers.bluesky import BlueskyPeer
from tests.peers.mastodon import MastodonPeer

pytestmark = [
    pytest.mark.mastodon,
    pytest.mark.bluesky,
    pytest.mark.usefixtures("secret_service"),
]


@pytest.fixture
def verbose_logs(workspace: Workspace) -> Iterator[Path]:
    """Heedful's own log set-up, at debug level: libraries then log every request they make,
    the worst case for a leak."""
    log_file = configure_logging(workspace.paths.log_dir, verbose=True)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    yield log_file
    root.setLevel(level)
    for handler in list(root.handlers):
        if (handler.get_name() or "").startswith("heedful"):
            root.removeHandler(handler)
            handler.close()


# What is secret in each keyring entry. (An OAuth client_id is public by design: it is in
# the address the browser opens; handles, DIDs and server addresses are stored on purpose.)
_SECRET_FIELDS = ("access_token", "client_secret")


def _secret_values(entry: dict[str, object] | None) -> dict[str, str]:
    """name → secret, from one keyring entry (a Bluesky session string holds two JWTs)."""
    found: dict[str, str] = {}
    for field, value in (entry or {}).items():
        if field in _SECRET_FIELDS and isinstance(value, str):
            found[field] = value
        elif field == "session" and isinstance(value, str):
            for number, part in enumerate(value.split(":::")):
                if part.startswith("eyJ"):
                    found[f"session JWT {number}"] = part
    return found


def _hits(secrets: dict[str, str], data: bytes) -> list[str]:
    return [name for name, secret in secrets.items() if secret.encode() in data]


def _read_beside(path: Path) -> bytes:
    """A file's bytes, the database's read by another process: closing a descriptor of a
    database file drops every lock this process holds on it, under its open connection."""
    if ".db" not in path.name:
        return path.read_bytes()
    code = "import sys; sys.stdout.buffer.write(open(sys.argv[1], 'rb').read())"
    return subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, check=True, timeout=60
    ).stdout


def _cmdline_while_running(args: list[str], stdin: str = "") -> tuple[bytes, str, str, int]:
    """Start `heedful`, read /proc/<pid>/cmdline while it runs, and let it finish."""
    process = subprocess.Popen(
        [sys.executable, "-m", "app", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )
    cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes()
    environ = Path(f"/proc/{process.pid}/environ").read_bytes()
    out, err = process.communicate(stdin.encode(), timeout=120)
    return cmdline + b"\0" + environ, out.decode(), err.decode(), process.returncode


def test_secrets_are_only_in_the_keyring_after_sign_in_restart_and_sync(
    workspace: Workspace,
    verbose_logs: Path,
    mastodon_peer: MastodonPeer,
    bluesky_peer: BlueskyPeer,
    heedful_home: Path,
) -> None:
    # Mastodon, through the browser flow, as a person signs in.
    brand, customer = mastodon_peer.new_account(), mastodon_peer.new_account()
    flow: MastodonSignIn = workspace.account_service.begin_mastodon_sign_in(mastodon_peer.base_url)
    mastodon_peer.authorize_in_browser(flow.start(), brand.username, open_redirect=True)
    mastodon = workspace.account_service.finish_mastodon_sign_in(
        flow.server, flow.wait_for_browser(timeout=20)
    )
    customer.post(f"@{brand.username} where is order FF-1?")
    # Bluesky, with an app password; the password goes in through standard input.
    sky_brand = bluesky_peer.create_account("brand")
    sky_customer = bluesky_peer.create_account("kari")
    app_password = sky_brand.create_app_password("heedful")
    cmdline, out, err, code = _cmdline_while_running(
        ["accounts", "add", "bluesky", "--handle", sky_brand.handle,
         "--server", bluesky_peer.pds_url],
        stdin=app_password + "\n",
    )  # fmt: skip
    assert code == 0, err
    assert app_password.encode() not in cmdline + out.encode() + err.encode()
    sky_customer.post(f"@{sky_brand.handle} pakken?", mentions=[sky_brand])
    bluesky_peer.process_all()

    # Restart: a new workspace over the same files, then sync both accounts.
    workspace.close()
    reopened = build_workspace(StartupOptions())
    try:
        reports = reopened.sync.sync_all()
        assert sorted((r.account.network.value, r.state, r.added) for r in reports) == [
            ("bluesky", AccountState.OK, 1),
            ("mastodon", AccountState.OK, 1),
        ]
        # Every secret Heedful holds, straight from the keyring.
        secrets_store = reopened.secrets
        entries = [
            secrets_store.get(account_secret_name(a.network.value, a.server, a.handle))
            for a in reopened.accounts.all()
        ]
        entries.append(secrets_store.get(f"mastodon-app:{mastodon.server}"))
        secrets = {"app password": app_password}
        for entry in entries:
            secrets.update(_secret_values(entry))
        assert set(secrets) == {
            "app password", "access_token", "client_secret", "session JWT 2", "session JWT 3"
        }  # fmt: skip

        # A command-line sync beside it: its command line, environment and output.
        cli_cmdline, cli_out, cli_err, cli_code = _cmdline_while_running(["sync", "--once"])
        assert cli_code == 0, cli_err

        # Everything on disk while the workspace is open (the WAL holds the latest writes).
        assert reopened.profile.database.with_name("heedful.db-wal").exists()
        for handler in logging.getLogger().handlers:
            handler.flush()
        files = [p for p in heedful_home.rglob("*") if p.is_file()]
        assert verbose_logs in files
        assert any(p.name == "settings.json" for p in files)
        leaks = {
            str(path.relative_to(heedful_home)): hits
            for path in files
            if (hits := _hits(secrets, _read_beside(path)))
        }
        assert leaks == {}
        assert _hits(secrets, cli_cmdline + cli_out.encode() + cli_err.encode()) == []
        # The debug log really did record the traffic it was searched for.
        assert mastodon_peer.base_url.split("//")[1] in verbose_logs.read_text(encoding="utf-8")
    finally:
        reopened.close()


# --- no keyring -------------------------------------------------------------------------------


def test_with_no_keyring_heedful_says_so_and_writes_the_secret_nowhere(
    bluesky_peer: BlueskyPeer, heedful_home: Path
) -> None:
    brand = bluesky_peer.create_account("nokeyring")
    app_password = brand.create_app_password("heedful")
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    done = subprocess.run(
        [sys.executable, "-m", "app", "accounts", "add", "bluesky", "--handle", brand.handle,
         "--server", bluesky_peer.pds_url],
        input=app_password + "\n", capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert done.returncode == 4, done.stderr
    message = " ".join(done.stderr.split())
    assert "keyring" in message
    assert "gnome-keyring" in message  # the documented choice: start or install one
    assert "never saves secrets in plain files" in message
    for path in heedful_home.rglob("*"):
        if path.is_file():
            assert app_password.encode() not in path.read_bytes(), path


def test_the_secret_store_refuses_clearly_without_a_keyring() -> None:
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        store = SecretStore("profile:test")
        with pytest.raises(KeyringUnavailable) as refused:
            store.put("account:x", {"access_token": "never-written"})
        with pytest.raises(KeyringUnavailable):
            store.get("account:x")
    finally:
        keyring.set_keyring(previous)
    assert "Heedful keeps passwords and tokens only in your system's keyring" in str(refused.value)
