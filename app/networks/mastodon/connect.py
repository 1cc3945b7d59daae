"""Building a Mastodon account's connector from its record and its keyring secret."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from storage.records import Account

from app.networks.base import Connector
from app.networks.factory import signed_in
from app.networks.mastodon.connector import MastodonConnector


def connect(
    account: Account,
    secret: Mapping[str, Any],
    save_secret: Callable[[dict[str, Any]], None],
    stop: threading.Event | None,
) -> Connector:
    token, user_id = signed_in(account, secret, "access_token", "sign-in")
    return MastodonConnector(
        account_id=account.id,
        server=account.server,
        access_token=token,
        own_user_id=user_id,
        own_handle=account.handle,
        stop=stop,
    )
