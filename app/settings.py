"""Typed, versioned settings a user chooses, kept in a small JSON file per profile."""

from __future__ import annotations

import contextlib
import dataclasses
import getpass
import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SETTINGS_VERSION = 1


def _default_agent_name() -> str:
    """The name replies are signed with and the triage history records, until the person
    sets their own (File → Your name…): the first name of the computer account's full name
    when it has one ("Kari Nordmann" → "Kari"), else the login name, capitalised."""
    login = ""
    with contextlib.suppress(Exception):
        login = getpass.getuser()
    with contextlib.suppress(Exception):
        import pwd  # not on Windows

        full_name = pwd.getpwnam(login).pw_gecos.split(",")[0].strip()
        if full_name and full_name.casefold() != login.casefold():
            return full_name.split()[0]
    return login[:1].upper() + login[1:]


@dataclass(frozen=True, slots=True)
class Settings:
    version: int = SETTINGS_VERSION
    # The name signed under replies and shown in triage history.
    agent_name: str = dataclasses.field(default_factory=_default_agent_name)
    sync_interval_seconds: int = 60
    inbox_page_size: int = 200


# Each step upgrades a settings dict from version N to N + 1. None yet: version 1 is the first.
_UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


@dataclass(frozen=True, slots=True)
class LoadedSettings:
    settings: Settings
    problems: list[str]  # what was wrong with the file, for the user; empty when all was well


def load_settings(path: Path) -> LoadedSettings:
    """Read settings; anything unreadable falls back to defaults and is reported, never fatal."""
    if not path.exists():
        return LoadedSettings(Settings(), [])
    problems: list[str] = []
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as error:
        kept = path.with_suffix(".json.unreadable")
        with contextlib.suppress(OSError):
            os.replace(path, kept)
        problems.append(
            f"Settings file {path} could not be read ({error}); kept it as {kept.name}"
            " and started with default settings."
        )
        return LoadedSettings(Settings(), problems)

    version = raw.get("version", 1)
    if not isinstance(version, int) or version > SETTINGS_VERSION:
        problems.append(f"Settings file {path} is from a newer Heedful; using defaults for now.")
        return LoadedSettings(Settings(), problems)
    while version < SETTINGS_VERSION:
        raw = _UPGRADES[version](raw)
        version += 1
    raw["version"] = SETTINGS_VERSION

    defaults = Settings()
    values: dict[str, Any] = {}
    for option in dataclasses.fields(Settings):
        if option.name not in raw:
            continue
        value = raw[option.name]
        expected = type(getattr(defaults, option.name))
        if type(value) is not expected:
            problems.append(
                f"Setting {option.name!r} should be {expected.__name__}; using default."
            )
            continue
        values[option.name] = value
    return LoadedSettings(dataclasses.replace(defaults, **values), problems)


def save_settings(path: Path, settings: Settings) -> None:
    """Write atomically (a crash never leaves half a file), readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = json.dumps(dataclasses.asdict(settings), indent=2, sort_keys=True) + "\n"
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".settings-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
