"""Building the connector for an account from its record and its keyring secret."""

from __future__ import annotations

import threading

from storage.records import Account, Network

from app.networks.base import Connector
from app.networks.errors import NeedsSignIn
from app.networks.mastodon.auth import normalize_server
from app.secrets import SecretStore, account_secret_name


class ConnectorFactory:
    def __init__(self, secrets_store: SecretStore, stop: threading.Event | None = None) -> None:
        self._secrets = secrets_store
        self._stop = stop

    def __call__(self, account: Account) -> Connector:
        # Before anything is read from the keyring: a token never goes to a server over
        # plain http (an edited or very old database could hold such an address).
        normalize_server(account.server, what=f"server of {account.handle}")
        secret = self._secrets.get(
            account_secret_name(account.network.value, account.server, account.handle)
        )
        if account.network is Network.MASTODON:
            token = (secret or {}).get("access_token")
            if not isinstance(token, str) or not account.platform_user_id:
                raise NeedsSignIn(f"Heedful has no sign-in for {account.handle}: sign in again.")
            # Imported here: only accounts that sync need the Mastodon library loaded.
            from app.networks.mastodon.connector import MastodonConnector

            return MastodonConnector(
                account_id=account.id,
                server=account.server,
                access_token=token,
                own_user_id=account.platform_user_id,
                own_handle=account.handle,
                stop=self._stop,
            )
        if account.network is Network.BLUESKY:
            session = (secret or {}).get("session")
            if not isinstance(session, str) or not account.platform_user_id:
                raise NeedsSignIn(f"Heedful has no session for {account.handle}: sign in again.")
            from app.networks.bluesky.connector import BlueskyConnector

            name = account_secret_name(account.network.value, account.server, account.handle)

            def save_session(refreshed: str) -> None:
                self._secrets.put(name, {"session": refreshed})

            return BlueskyConnector(
                account_id=account.id,
                server=account.server,
                session=session,
                own_did=account.platform_user_id,
                save_session=save_session,
                stop=self._stop,
            )
        raise NotImplementedError(f"{account.network.value} is not connected yet")
