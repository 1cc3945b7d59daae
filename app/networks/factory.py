"""Building the connector for an account from its record and its keyring secret."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol, cast

from storage.records import Account
from storage.usage import UsageRepository

from app.networks.base import Connector
from app.networks.errors import NeedsSignIn
from app.networks.mastodon.auth import normalize_server
from app.networks.registry import network_info
from app.secrets import SecretStore, account_secret_name


class Connect(Protocol):
    """What each network's `connector_module` offers (`app.networks.mastodon.connect`): a
    connector from the account and its secret; `save_secret` replaces the stored secret
    (a refreshed session). Raises NeedsSignIn when the secret is missing or incomplete."""

    def __call__(
        self,
        account: Account,
        secret: Mapping[str, Any],
        save_secret: Callable[[dict[str, Any]], None],
        stop: threading.Event | None,
    ) -> Connector: ...


def signed_in(account: Account, secret: Mapping[str, Any], key: str, what: str) -> tuple[str, str]:
    """The secret's `key` (a token, a session) and the account's own id on the network, or
    NeedsSignIn: without both there is nothing to connect with."""
    value = secret.get(key)
    if not isinstance(value, str) or not account.platform_user_id:
        raise NeedsSignIn(f"Heedful has no {what} for {account.handle}: sign in again.")
    return value, account.platform_user_id


class ConnectorFactory:
    def __init__(
        self,
        secrets_store: SecretStore,
        stop: threading.Event | None = None,
        usage: UsageRepository | None = None,
    ) -> None:
        self._secrets = secrets_store
        self._stop = stop
        self._usage = usage  # where metered networks (X) count what they spend

    def __call__(self, account: Account) -> Connector:
        # Before anything is read from the keyring: a token never goes to a server over
        # plain http (an edited or very old database could hold such an address).
        normalize_server(account.server, what=f"server of {account.handle}")
        name = account_secret_name(account.network.value, account.server, account.handle)
        secret = self._secrets.get(name) or {}

        def save_secret(value: dict[str, Any]) -> None:
            self._secrets.put(name, value)

        # Imported here: only accounts that sync need their network's library loaded.
        info = network_info(account.network)
        module = importlib.import_module(info.connector_module)
        if info.metered:
            # Billed per use: its connector counts reads and posts as it goes. Its refresh
            # tokens rotate: a renewal reads the keyring again under a lease in the store.
            return cast(
                Connector,
                module.connect(
                    account,
                    secret,
                    save_secret,
                    self._stop,
                    usage=self._usage,
                    load_secret=lambda: self._secrets.get(name),
                    secret_name=name,
                ),
            )
        connect = cast(Connect, module.connect)
        return connect(account, secret, save_secret, self._stop)
