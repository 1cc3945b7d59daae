"""Shared fixtures: a private HEEDFUL_HOME per test, Qt offscreen, qasync's loop for Qt tests,
one demo store per session."""

from __future__ import annotations

import os

# Before anything imports Qt: tests render offscreen unless a test opens a real X display itself.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.store import Store, open_store

from app.bootstrap import StartupOptions, Workspace, build_workspace
from app.paths import DEMO_PROFILE, HOME_VARIABLE, AppPaths

from tests.peers.bluesky import BlueskyPeer
from tests.peers.mastodon import MastodonPeer
from tests.peers.nats_server import NatsPeer

# Demo data is generated relative to this moment in tests, so assertions about ages are stable.
DEMO_NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def heedful_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test may touch a real profile: HEEDFUL_HOME points into the test's own folder."""
    home = tmp_path / "heedful-home"
    monkeypatch.setenv(HOME_VARIABLE, str(home))
    return home


@pytest.fixture(autouse=True)
def qasync_loop(request: pytest.FixtureRequest) -> Iterator[asyncio.AbstractEventLoop | None]:
    """Qt tests run under qasync's event loop, as the window does (ui/launcher.py): the loop
    is marked running while pytest-qt drives Qt's own loop (qtbot.waitUntil, waitSignal), so
    coroutines the window starts (sending, signing in) run in the test as in the app.
    Tests without Qt get no loop (asyncio.run stays usable there)."""
    if "qtbot" not in request.fixturenames and "qapp" not in request.fixturenames:
        yield None
        return
    import qasync

    qtbot = request.getfixturevalue("qtbot")  # set up first, so torn down (widgets closed) first
    app = request.getfixturevalue("qapp")
    loop = qasync.QEventLoop(app, already_running=True)
    try:
        yield loop
    finally:
        left = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in left:
            task.cancel()
        if left:  # let them unwind (their steps run from Qt's event loop)
            qtbot.waitUntil(lambda: all(task.done() for task in left), timeout=5000)
        app.aboutToQuit.disconnect(loop._after_run_forever)
        asyncio.events._set_running_loop(None)
        # Marked as not running without QEventLoop.stop(): that calls QApplication.exit(),
        # after which every later Qt event loop in the session would return at once.
        loop._QEventLoop__is_running = False  # type: ignore[attr-defined]
        loop.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path / "store" / "heedful.db")
    yield opened
    opened.close()


@pytest.fixture
def workspace(heedful_home: Path) -> Iterator[Workspace]:
    """The user's own (default) workspace, empty, under this test's HEEDFUL_HOME."""
    opened = build_workspace(StartupOptions())
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace's database, generated once per test session."""
    home = tmp_path_factory.mktemp("demo-home")
    workspace = build_workspace(StartupOptions(home=home, demo=True), now=DEMO_NOW)
    workspace.close()
    return AppPaths.resolve(home).profile(DEMO_PROFILE).database


@pytest.fixture
def demo_workspace(heedful_home: Path, demo_database: Path) -> Iterator[Workspace]:
    """A fresh copy of the demo workspace under this test's HEEDFUL_HOME."""
    target = AppPaths.resolve(heedful_home).profile(DEMO_PROFILE).database
    target.parent.mkdir(parents=True)
    shutil.copy2(demo_database, target)
    workspace = build_workspace(StartupOptions(demo=True), now=DEMO_NOW)
    yield workspace
    workspace.close()


@pytest.fixture(scope="session")
def mastodon_peer() -> Iterator[MastodonPeer]:
    """One Mastodon API server on loopback for the whole session; tests use fresh accounts.

    Scope checks are off: the mock only understands the coarse `read`/`write` scopes and
    refuses the granular ones (`read:notifications`, ...) that real Mastodon grants and
    that Heedful asks for, to hold no more rights than it needs.
    """
    with MastodonPeer(enforce_scopes=False) as peer:
        yield peer


@pytest.fixture(scope="session")
def nats_peer() -> Iterator[NatsPeer]:
    """One NATS server with JetStream on loopback for the session; each test takes a fresh
    team name (its own subjects, stream and buckets) with NatsPeer.new_team()."""
    with NatsPeer() as peer:
        yield peer


@pytest.fixture(scope="session")
def bluesky_peer() -> Iterator[BlueskyPeer]:
    """The Bluesky reference network (PLC, PDS, AppView) on loopback, once per session."""
    with BlueskyPeer() as peer:
        yield peer


@pytest.fixture(scope="session")
def secret_service() -> str:
    """Secrets go to a real Secret Service (GNOME Keyring, started by ./dev test)."""
    import keyring

    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if "SecretService" not in name:
        pytest.fail(f"tests need a Secret Service keyring (run them with ./dev test); got {name}")
    return name
