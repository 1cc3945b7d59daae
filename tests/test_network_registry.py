"""The network registry: every stored network has one descriptor, and what the composer, the
length checks and the connector factory ask of a network comes from it."""

from __future__ import annotations

import importlib
import subprocess
import sys
from typing import Any

import pytest

from storage.records import Network

from app.networks.errors import NeedsSignIn
from app.networks.factory import ConnectorFactory
from app.networks.registry import (
    BLUESKY,
    MASTODON,
    NETWORKS,
    find_network,
    max_length,
    network_info,
    post_length,
)
from app.secrets import SecretStore

from tests.test_transport import _account


def test_every_stored_network_has_exactly_one_descriptor() -> None:
    assert [info.network for info in NETWORKS] == list(Network)
    for network in Network:
        assert network_info(network).name == network.value
        assert find_network(network_info(network).label) is network_info(network)
    assert find_network("myspace") is None


@pytest.mark.parametrize("info", NETWORKS, ids=lambda info: info.name)
def test_each_descriptor_names_a_connector_module_that_can_connect(info: Any) -> None:
    module = importlib.import_module(info.connector_module)
    assert callable(module.connect)


def test_lengths_and_limits_follow_each_networks_rules() -> None:
    link = "https://shop.example/" + "a" * 80
    assert post_length(Network.MASTODON, f"See {link}") == 4 + 23
    assert post_length(Network.BLUESKY, "Hei 👋🏽 Åse!") == 10
    # Mastodon's limit is the server's once a sync learnt it, 500 until then.
    assert max_length(Network.MASTODON, None) == 500
    assert max_length(Network.MASTODON, 11_000) == 11_000
    assert max_length(Network.BLUESKY, 11_000) == 300  # fixed by the network
    assert MASTODON.length.counted(12) == "12"
    assert BLUESKY.length.counted(12) == "12 graphemes"


def test_replies_are_addressed_and_kept_private_as_each_network_does() -> None:
    assert MASTODON.reply_opening("kari@toot.example") == "@kari@toot.example "
    assert BLUESKY.reply_opening("kari.bsky.social") == ""
    assert MASTODON.is_private("direct")
    assert not MASTODON.is_private("private")  # followers only: not a direct message
    assert not BLUESKY.is_private(None)
    assert MASTODON.strictest("unlisted", "direct", None) == "direct"
    # A visibility the registry does not know is never widened (a privacy leak).
    assert MASTODON.strictest(None, "weird") == "direct"
    assert MASTODON.strictest(None, None) == "public"
    assert MASTODON.direct_messages.supported
    assert BLUESKY.direct_messages.supported  # through Bluesky's chat service


class _EmptyKeyring(SecretStore):
    def get(self, name: str) -> dict[str, Any] | None:
        return None


@pytest.mark.parametrize("network", list(Network))
def test_the_factory_asks_each_networks_connect_and_says_to_sign_in_when_no_secret(
    network: Network,
) -> None:
    with pytest.raises(NeedsSignIn, match="sign in again"):
        ConnectorFactory(_EmptyKeyring("test"))(_account("https://social.example", network))


def test_the_registries_load_no_network_library() -> None:
    """The window reads both registries before its first paint; the HTTP stacks and network
    SDKs load only when an account syncs."""
    code = (
        "import sys, app.networks.registry, app.inbox.qualifiers;"
        "print(sorted(m for m in ('mastodon', 'atproto', 'httpx', 'requests') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "[]"
