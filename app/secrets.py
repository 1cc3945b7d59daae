"""Secrets (tokens, app passwords, OAuth client credentials) live in the OS keyring only."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types import ModuleType

SERVICE = "Heedful"


class KeyringUnavailable(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(
            "Heedful keeps passwords and tokens only in your system's keyring, and none is "
            f"available ({detail}). Start or install one (on Debian or Ubuntu: the "
            "gnome-keyring package; on KDE: KWallet; macOS and Windows have one built in), "
            "then try again. Heedful never saves secrets in plain files instead."
        )


class SecretStore:
    """JSON values in the keyring, namespaced per profile so two workspaces never collide."""

    def __init__(self, namespace: str) -> None:
        self._namespace = namespace

    def _key(self, name: str) -> str:
        return f"{self._namespace}::{name}"

    def get(self, name: str) -> dict[str, Any] | None:
        keyring = _keyring()
        try:
            text = keyring.get_password(SERVICE, self._key(name))
        except keyring.errors.KeyringError as error:
            raise KeyringUnavailable(type(error).__name__) from error
        if text is None:
            return None
        value = json.loads(text)
        return value if isinstance(value, dict) else None

    def put(self, name: str, value: dict[str, Any]) -> None:
        keyring = _keyring()
        try:
            keyring.set_password(SERVICE, self._key(name), json.dumps(value))
        except keyring.errors.KeyringError as error:
            raise KeyringUnavailable(type(error).__name__) from error

    def delete(self, name: str) -> None:
        keyring = _keyring()
        try:
            keyring.delete_password(SERVICE, self._key(name))
        except keyring.errors.PasswordDeleteError:
            pass
        except keyring.errors.KeyringError as error:
            raise KeyringUnavailable(type(error).__name__) from error


def _keyring() -> ModuleType:
    """The keyring library, imported at the first secret asked for: choosing its backend
    costs a fifth of a second, and the inbox opens without any secret."""
    import keyring
    import keyring.errors

    return keyring


def account_secret_name(network: str, server: str, handle: str) -> str:
    return f"account:{network}:{server}:{handle}"
