"""Building an X account's connector from its record, its keyring secret and its spend ledger."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from storage.records import Account
from storage.token_leases import TokenRefreshLeases
from storage.usage import UsageRepository

from app.networks.base import Connector
from app.networks.factory import signed_in
from app.networks.x.auth import TokenKeeper
from app.networks.x.client import XClient
from app.networks.x.connector import XConnector
from app.networks.x.spend import Meter


def connect(
    account: Account,
    secret: Mapping[str, Any],
    save_secret: Callable[[dict[str, Any]], None],
    stop: threading.Event | None,
    *,
    usage: UsageRepository | None = None,
    load_secret: Callable[[], Mapping[str, Any] | None] | None = None,
    secret_name: str = "",
) -> Connector:
    _token, user_id = signed_in(account, secret, "access_token", "X sign-in")
    meter = None if usage is None else Meter(usage, account.id)
    client = XClient(account.server, None, stop=stop, meter=meter)
    client.tokens = TokenKeeper(
        account.server,
        dict(secret),
        save_secret,
        client.session,
        load_secret=load_secret,
        # Across processes only where the store is at hand (a sync always has it).
        leases=None if usage is None or not secret_name else TokenRefreshLeases(usage.store),
        secret_name=secret_name,
        stop=stop,
    )
    return XConnector(
        account_id=account.id,
        client=client,
        own_user_id=user_id,
        own_handle=account.handle,
        meter=meter,
        stop=stop,
    )
