"""Where Heedful writes, and settings that survive a bad file."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from app.paths import HOME_VARIABLE, AppPaths
from app.settings import Settings, load_settings, save_settings


def test_heedful_home_moves_every_folder(tmp_path: Path) -> None:
    paths = AppPaths.resolve(environ={HOME_VARIABLE: str(tmp_path)})
    for folder in (paths.data_dir, paths.config_dir, paths.cache_dir, paths.log_dir):
        assert folder.is_relative_to(tmp_path)


def test_home_option_wins_over_the_environment(tmp_path: Path) -> None:
    paths = AppPaths.resolve(tmp_path / "chosen", environ={HOME_VARIABLE: str(tmp_path / "env")})
    assert paths.data_dir.is_relative_to(tmp_path / "chosen")


def test_without_heedful_home_the_platform_folders_are_used() -> None:
    paths = AppPaths.resolve(environ={})
    assert "Heedful" in str(paths.data_dir)
    assert paths.data_dir != paths.config_dir


def test_profiles_keep_their_files_apart(tmp_path: Path) -> None:
    paths = AppPaths.resolve(tmp_path)
    assert paths.profile("demo").database != paths.profile("default").database
    assert paths.profile("demo").settings != paths.profile("default").settings


def test_settings_round_trip_privately(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    save_settings(path, Settings(agent_name="Ingrid", sync_interval_seconds=120))
    loaded = load_settings(path)
    assert loaded.problems == []
    assert loaded.settings.agent_name == "Ingrid"
    assert loaded.settings.sync_interval_seconds == 120
    assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def test_unreadable_settings_fall_back_to_defaults_and_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"agent_name": "Ingrid", ', encoding="utf-8")
    loaded = load_settings(path)
    assert loaded.settings == Settings()
    assert len(loaded.problems) == 1
    assert "could not be read" in loaded.problems[0]
    # The user's file is kept aside, not deleted.
    assert (tmp_path / "settings.json.unreadable").read_text(encoding="utf-8").startswith("{")


def test_a_wrongly_typed_setting_keeps_the_others(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps({"version": 1, "agent_name": "Ingrid", "sync_interval_seconds": "soon"}),
        encoding="utf-8",
    )
    loaded = load_settings(path)
    assert loaded.settings.agent_name == "Ingrid"
    assert loaded.settings.sync_interval_seconds == Settings().sync_interval_seconds
    assert any("sync_interval_seconds" in problem for problem in loaded.problems)


def test_settings_from_a_newer_heedful_are_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 99, "agent_name": "Future"}), encoding="utf-8")
    loaded = load_settings(path)
    assert loaded.settings == Settings()
    assert "newer" in loaded.problems[0]
    assert json.loads(path.read_text(encoding="utf-8"))["version"] == 99
