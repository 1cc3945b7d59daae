"""Building a Bluesky account's connector from its record and its keyring secret."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from storage.records import Account

from app.networks.base import Connector
from app.networks.bluesky.connector import BlueskyConnector
from app.networks.factory import signed_in


def connect(
    account: Account,
    secret: Mapping[str, Any],
    save_secret: Callable[[dict[str, Any]], None],
    stop: threading.Event | None,
) -> Connector:
    session, did = signed_in(account, secret, "session", "session")
    return BlueskyConnector(
        account_id=account.id,
        server=account.server,
        session=session,
        own_did=did,
        # Every refresh hands out a new refresh token: it replaces the stored one.
        save_session=lambda refreshed: save_secret({"session": refreshed}),
        stop=stop,
    )
