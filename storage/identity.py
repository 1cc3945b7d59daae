"""What the world calls a mention (network, server, account, platform id), as opposed to its
local row id: the key that state leaving the laptop (the team inbox) is filed under.

Server addresses are compared in one spelling (`normalize_server`): the same server typed
as `Social.Example`, `https://social.example:443/` or `social.example` is one server.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from storage.records import Network
from storage.store import Store

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Letters, digits and hyphens between dots (underscores too: some local test names have them).
_ASCII_HOST = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")


class ServerAddressError(ValueError):
    """The text cannot be a server's address (the caller says so in its own words)."""


def normalize_server(address: str) -> str:
    """The one spelling of a server's address: `https://` when no scheme is given, scheme
    and host in lower case, an international domain name in its ASCII (punycode) form, the
    scheme's default port dropped, a sub-path kept (a server installed under /mastodon), no
    trailing slash. User names, queries and fragments have no place in one and are refused.

    Only the spelling: whether plain http is acceptable is the caller's policy.
    """
    text = address.strip()
    if not text:
        raise ServerAddressError("no address")
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port  # ValueError when it is not a number in range
    except ValueError as error:
        raise ServerAddressError(str(error)) from error
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ServerAddressError(f"not a web address ({scheme})")
    if parts.username is not None or parts.password is not None:
        raise ServerAddressError("a server's address has no user name or password")
    if parts.query or parts.fragment:
        raise ServerAddressError("a server's address has no query or fragment")
    host = _ascii_host(parts.hostname or "")
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


def _ascii_host(host: str) -> str:
    host = host.rstrip(".")  # the DNS root: `social.example.` is `social.example`
    if not host:
        raise ServerAddressError("no host name")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return f"[{address.compressed}]" if address.version == 6 else address.compressed
    host = host.lower()
    if host.isascii() and "xn--" not in host:
        if not _ASCII_HOST.match(host):
            raise ServerAddressError(f"{host} is not a host name")
        return host
    # UTS #46 as browsers apply it (non-transitional: `ß` stays `ß`, as IDNA 2008 says);
    # it also checks the punycode of names already in ASCII form. Imported here: only an
    # international name needs its tables.
    import idna

    try:
        return idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError as error:
        raise ServerAddressError(f"{host} is not a valid domain name ({error})") from error


@dataclass(frozen=True, slots=True)
class MentionKey:
    """A mention as the world knows it: the same on every teammate's laptop."""

    network: Network
    server: str  # the brand account's server, in `normalize_server`'s spelling
    account: str  # the brand account's platform user id (Mastodon account id, Bluesky DID)
    platform_id: str  # the post's own id (Mastodon status id, Bluesky at:// URI)


class NaturalKeys:
    """Between local row ids and natural keys, for mentions."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def key_of(self, mention_id: int) -> MentionKey | None:
        """The mention's natural key; None when its account has no platform user id yet
        (added by an old version: signing in again records it). KeyError: no such mention."""
        keys = self.keys_of([mention_id])
        if mention_id in keys:
            return keys[mention_id]
        found = self._store.conn.execute("SELECT 1 FROM mentions WHERE id = ?", [mention_id])
        if found.fetchone() is None:
            raise KeyError(mention_id)
        return None

    def keys_of(self, mention_ids: Iterable[int]) -> dict[int, MentionKey]:
        """Natural keys of many mentions at once (those that have one)."""
        ids = list(dict.fromkeys(mention_ids))
        found: dict[int, MentionKey] = {}
        for start in range(0, len(ids), 500):  # within SQLite's limit on bound parameters
            chunk = ids[start : start + 500]
            rows = self._store.conn.execute(
                "SELECT m.id, a.network, a.server, a.platform_user_id, m.platform_id"
                " FROM mentions AS m JOIN accounts AS a ON a.id = m.account_id"
                f" WHERE m.id IN ({', '.join('?' * len(chunk))})"
                " AND a.platform_user_id IS NOT NULL",
                chunk,
            )
            for mention_id, network, server, account, platform_id in rows:
                found[mention_id] = MentionKey(
                    Network(network), _spelled(server), account, platform_id
                )
        return found

    def mention_for(self, key: MentionKey) -> int | None:
        """The local id of the mention `key` names, if this store holds it. Two index
        lookups: the account by (network, server, platform user id), then the mention by
        (account, platform id)."""
        account_id = self.account_for(key.network, key.server, key.account)
        if account_id is None:
            return None
        row = self._store.conn.execute(
            "SELECT id FROM mentions WHERE account_id = ? AND platform_id = ?",
            [account_id, key.platform_id],
        ).fetchone()
        return None if row is None else int(row[0])

    def account_for(self, network: Network, server: str, platform_user_id: str) -> int | None:
        """The local id of the brand account with this platform user id on this server."""
        try:
            spelled = normalize_server(server)
        except ServerAddressError:
            return None
        row = self._store.conn.execute(
            "SELECT id FROM accounts WHERE network = ? AND server = ? AND platform_user_id = ?",
            [network.value, spelled, platform_user_id],
        ).fetchone()
        if row is not None:
            return int(row[0])
        # Accounts added before addresses were normalised keep the spelling their keyring
        # entries are filed under; the brand has a handful of accounts, so compare them all.
        for account_id, stored in self._store.conn.execute(
            "SELECT id, server FROM accounts WHERE network = ? AND platform_user_id = ?",
            [network.value, platform_user_id],
        ):
            if _spelled(stored) == spelled:
                return int(account_id)
        return None


def _spelled(server: str) -> str:
    """A stored address in the one spelling (one an old version stored that cannot be
    parsed is compared as it is)."""
    try:
        return normalize_server(server)
    except ServerAddressError:
        return server
