"""Where Heedful writes: platform folders, all moved under one HEEDFUL_HOME when it is set."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

HOME_VARIABLE = "HEEDFUL_HOME"
APP_NAME = "Heedful"
DEFAULT_PROFILE = "default"
DEMO_PROFILE = "demo"


@dataclass(frozen=True, slots=True)
class ProfilePaths:
    """One workspace's files. The demo workspace is a profile of its own."""

    name: str
    data_dir: Path
    config_dir: Path

    @property
    def database(self) -> Path:
        return self.data_dir / "heedful.db"

    @property
    def settings(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def ui_state(self) -> Path:
        # Geometry, splitters, columns: kept apart from settings a user chooses.
        return self.config_dir / "ui-state.ini"

    @property
    def backups_dir(self) -> Path:
        return self.data_dir / "backups"


@dataclass(frozen=True, slots=True)
class AppPaths:
    data_dir: Path
    config_dir: Path
    cache_dir: Path
    log_dir: Path

    @classmethod
    def resolve(cls, home: Path | None = None, environ: Mapping[str, str] = os.environ) -> AppPaths:
        """`home` (from --home) wins over HEEDFUL_HOME, which wins over the platform folders."""
        if home is None and environ.get(HOME_VARIABLE):
            home = Path(environ[HOME_VARIABLE])
        if home is not None:
            home = home.expanduser().resolve()
            return cls(home / "data", home / "config", home / "cache", home / "logs")
        return cls(
            Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        )

    def profile(self, name: str) -> ProfilePaths:
        return ProfilePaths(name, self.data_dir / name, self.config_dir / name)
