"""`heedful --self-test`: proves that this build of Heedful works on this machine.

It opens the demo workspace in a throwaway folder, runs a search, checks that a real
keyring backend was found, has the window layer render the main window once, prints one
line per check and exits 0, or 1 with the reasons. The same code runs from source and in
the packaged binary, where it catches what packaging breaks (data files, hidden imports,
keyring's entry points, Qt plugins). It never touches the user's own profile or keyring.
"""

from __future__ import annotations

import importlib
import platform
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import keyring
import keyring.backend

from app import __version__
from app.bootstrap import StartupOptions, Workspace, build_workspace
from app.inbox.service import InboxView, inbox_filter
from app.logs import configure_logging

# A word the demo brand's customers use in several languages' posts ("refund" is in the
# English complaints; the demo data is generated from fixed seeds, so it is always there).
SEARCH_TEXT = "refund"

# Backends that mean "no keyring here": Heedful then refuses to store secrets.
_NO_KEYRING_BACKENDS = ("keyring.backends.fail", "keyring.backends.null")

EXIT_PASSED = 0
EXIT_FAILED = 1

# Renders the main window once over a workspace; returns what it saw (e.g. "1024×700, 200
# rows") or raises. The window layer supplies it (ui/self_test.py): app/ knows no Qt.
Renderer = Callable[[Workspace], str]


class CheckFailed(Exception):
    """A check found a problem; the message says which."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    passed: bool
    detail: str


def build_kind() -> str:
    return "packaged binary" if getattr(sys, "frozen", False) else "from source"


def keyring_backend() -> str:
    """The keyring backend Heedful would use, or CheckFailed when there is none."""
    backend = keyring.get_keyring()
    backends: list[keyring.backend.KeyringBackend] = list(getattr(backend, "backends", [backend]))
    real = [each for each in backends if not type(each).__module__.startswith(_NO_KEYRING_BACKENDS)]
    names = ", ".join(f"{type(each).__module__}.{type(each).__name__}" for each in backends)
    if not real:
        raise CheckFailed(
            f"no keyring backend available (found only: {names}); Heedful could not keep "
            "account secrets. On Linux, start a Secret Service (GNOME Keyring or KWallet)."
        )
    return ", ".join(f"{each.name} ({type(each).__module__})" for each in real)


def demo_store(workspace: Workspace) -> str:
    count = workspace.inbox.count(inbox_filter(InboxView.ALL))
    if count == 0:
        raise CheckFailed("the demo workspace has no mentions (demo data missing?)")
    return f"{count:,} mentions, {workspace.accounts.count()} accounts"


def network_libraries() -> str:
    """The Mastodon and Bluesky connectors load (the window imports them only on first sync,
    so a bundle missing a module would otherwise fail late, in front of a user)."""
    loaded = []
    for module in ("app.networks.mastodon.connector", "app.networks.bluesky.connector"):
        importlib.import_module(module)
        loaded.append(module.split(".")[2])
    return f"{', '.join(loaded)} connectors load"


def language_detection() -> str:
    """The on-device language detector and its model load (the composer's language guardrail
    imports them only when first needed, so a bundle missing them would fail late)."""
    from app.text.language import detect

    samples = {"nb": "Pakken min har ikke kommet ennå, hva skjer?", "en": "My parcel never came."}
    found = {expected: detect(text) for expected, text in samples.items()}
    wrong = {expected: got for expected, got in found.items() if got != expected}
    if wrong:
        raise CheckFailed(f"language detection got {wrong} (expected the keys)")
    return "the on-device language detector tells Norwegian from English"


def search(workspace: Workspace) -> str:
    rows = workspace.inbox.list_rows(inbox_filter(InboxView.ALL, SEARCH_TEXT), 50)
    if not rows:
        raise CheckFailed(f"searching the demo mentions for {SEARCH_TEXT!r} found nothing")
    missing = [row.id for row in rows if SEARCH_TEXT not in row.text.casefold()]
    if missing:
        raise CheckFailed(f"search for {SEARCH_TEXT!r} returned mentions without it: {missing}")
    return f"{SEARCH_TEXT!r}: {len(rows)} mentions"


def run_self_test(render: Renderer, out: TextIO = sys.stdout, *, log_to_file: bool = True) -> int:
    out.write(
        f"Heedful {__version__} self-test ({build_kind()}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}\n"
    )
    results: list[CheckResult] = []

    def check(name: str, step: Callable[[], str]) -> None:
        try:
            detail = step()
        except CheckFailed as problem:
            results.append(CheckResult(name, False, str(problem)))
        except Exception as error:  # a bug or a broken build: report it, go on checking
            where = traceback.extract_tb(error.__traceback__)[-1]
            results.append(
                CheckResult(
                    name,
                    False,
                    f"{type(error).__name__}: {error} ({Path(where.filename).name}:{where.lineno})",
                )
            )
        else:
            results.append(CheckResult(name, True, detail))
        result = results[-1]
        out.write(f"  {'ok  ' if result.passed else 'FAIL'}  {name:<12} {result.detail}\n")
        out.flush()

    with tempfile.TemporaryDirectory(
        prefix="heedful-self-test-", ignore_cleanup_errors=True
    ) as folder:
        home = Path(folder)
        if log_to_file:  # the packaged binary may have no console: its log is in the folder
            configure_logging(home / "logs")
        workspace: Workspace | None = None

        def open_demo() -> str:
            nonlocal workspace
            workspace = build_workspace(StartupOptions(home=home, demo=True))
            return demo_store(workspace)

        check("demo store", open_demo)
        check("keyring", keyring_backend)
        check("networks", network_libraries)
        check("languages", language_detection)
        if workspace is not None:
            opened = workspace
            check("search", lambda: search(opened))
            check("main window", lambda: render(opened))
            opened.close()
    failed = [result for result in results if not result.passed]
    if failed:
        out.write(f"self-test FAILED: {'; '.join(result.name for result in failed)}\n")
        return EXIT_FAILED
    out.write("self-test passed\n")
    return EXIT_PASSED
