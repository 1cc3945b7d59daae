"""The packaged binary: built with PyInstaller from packaging/pyinstaller.spec, then run.

The build takes about a minute and a half; `-m "not packaging"` skips it locally. CI
(`./dev test`) runs it: the binary must start, say its version and pass its self-test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import __version__
from app.bootstrap import Workspace

from tests.peers.mastodon import MastodonPeer

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "test-package"

pytestmark = pytest.mark.packaging


@pytest.fixture(scope="module")
def bundle() -> Path:
    """Build the onedir bundle once for this module (PyInstaller's work folder is reused
    between runs on one machine; CI's fresh clone builds it from scratch)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(BUILD / "dist"),
            "--workpath",
            str(BUILD / "work"),
            str(ROOT / "packaging" / "pyinstaller.spec"),
        ],
        cwd=ROOT,
        env={**os.environ, "HEEDFUL_CONSOLE": "0"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return BUILD / "dist" / "heedful"


def _executable(bundle: Path) -> Path:
    return bundle / ("heedful.exe" if sys.platform == "win32" else "heedful")


def _run(
    bundle: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(_executable(bundle)), *args],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_binary_says_its_version(bundle: Path) -> None:
    result = _run(bundle, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Heedful {__version__}"


def test_the_binary_passes_its_self_test(bundle: Path, secret_service: str, tmp_path: Path) -> None:
    result = _run(bundle, "--self-test", env={"HEEDFUL_HOME": str(tmp_path / "home")})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "self-test (packaged binary)" in result.stdout
    if sys.platform == "linux":
        # keyring found its Secret Service backend through entry points inside the bundle.
        assert "SecretService" in result.stdout
    assert "self-test passed" in result.stdout
    # It used a throwaway folder, never the profile it was pointed at.
    assert not (tmp_path / "home").exists()


@pytest.mark.skipif(sys.platform != "linux", reason="macOS and Windows always have a keyring")
def test_the_binary_refuses_a_machine_without_keyring(bundle: Path, tmp_path: Path) -> None:
    # No D-Bus session bus: the Secret Service cannot be reached, so no secrets could be kept.
    result = _run(
        bundle,
        "--self-test",
        env={"DBUS_SESSION_BUS_ADDRESS": f"unix:path={tmp_path / 'no-bus'}"},
    )
    assert result.returncode == 1
    assert "FAIL  keyring" in result.stdout
    assert "self-test FAILED: keyring" in result.stdout
    assert "ok    main window" in result.stdout  # the other checks still ran


@pytest.mark.mastodon
def test_the_binary_syncs_mentions_from_a_mastodon_server(
    bundle: Path, workspace: Workspace, mastodon_peer: MastodonPeer, heedful_home: Path
) -> None:
    """The network stack (requests, Mastodon.py), keyring and the store, all from inside the
    bundle: an account added from source is synced by the binary, as after an upgrade."""
    brand, customer = mastodon_peer.new_account(), mastodon_peer.new_account()
    account = workspace.account_service.finish_mastodon_sign_in(
        mastodon_peer.base_url, mastodon_peer.issue_token(brand.username)
    )
    customer.post(f"@{brand.username} Is the packaged app fast? Pakken kom i dag, takk!")
    result = _run(bundle, "--home", str(heedful_home), "sync", "--once")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{account.handle}: 1 new" in result.stdout
    listed = _run(bundle, "--home", str(heedful_home), "search", "pakken", "--json")
    assert listed.returncode == 0, listed.stderr
    assert "Pakken kom i dag" in listed.stdout


def test_the_bundle_leaves_out_what_heedful_never_uses(bundle: Path) -> None:
    files = [path.relative_to(bundle).as_posix() for path in bundle.rglob("*") if path.is_file()]
    unused = ("WebEngine", "Qt6Qml", "Qt6Quick", "Qt63D", "Qt6Multimedia", "Qt6Pdf")
    assert [name for name in files if any(part in name for part in unused)] == []
    assert [name for name in files if "/translations/" in name and "PySide6" in name] == []
    assert [name for name in files if "libgtk-3" in name or "/PIL/" in name] == []
    # The language detector and the sentiment model run without numpy (42 MB with OpenBLAS);
    # their training corpus stays in the repository.
    assert [name for name in files if "numpy" in name or "py3langid" in name] == []
    assert [name for name in files if "resources/analysis/training/" in name] == []
    # What it does need: the platform plugins, the demo data and the icon.
    assert any(name.endswith(("libqxcb.so", "qwindows.dll", "libqcocoa.dylib")) for name in files)
    assert any(name.endswith("resources/demo/mentions.json") for name in files)
    assert any(name.endswith("resources/icons/heedful.svg") for name in files)
    assert any(name.endswith("resources/analysis/langid.model") for name in files)
    assert any(name.endswith("resources/analysis/sentiment.model") for name in files)
