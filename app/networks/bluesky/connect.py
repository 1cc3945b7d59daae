"""Building a Bluesky account's connector from its record and its keyring secret."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from storage.records import Account

from app.networks.base import Connector
from app.networks.bluesky.connector import BlueskyConnector
from app.networks.errors import NeedsSignIn


def connect(
    account: Account,
    secret: Mapping[str, Any],
    save_secret: Callable[[dict[str, Any]], None],
    stop: threading.Event | None,
) -> Connector:
    session = secret.get("session")
    if not isinstance(session, str) or not account.platform_user_id:
        raise NeedsSignIn(f"Heedful has no session for {account.handle}: sign in again.")
    return BlueskyConnector(
        account_id=account.id,
        server=account.server,
        session=session,
        own_did=account.platform_user_id,
        # Every refresh hands out a new refresh token: it replaces the stored one.
        save_session=lambda refreshed: save_secret({"session": refreshed}),
        stop=stop,
    )
