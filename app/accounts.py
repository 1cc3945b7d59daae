"""Adding the brand's accounts: sign-in flows, identity checks, and their keyring secrets."""

from __future__ import annotations

from storage.accounts import AccountRepository
from storage.records import Account, AccountState, Network, NewAccount

from app.networks.mastodon_auth import MastodonSignIn
from app.secrets import SecretStore, account_secret_name


class AccountService:
    def __init__(self, accounts: AccountRepository, secrets_store: SecretStore) -> None:
        self._accounts = accounts
        self._secrets = secrets_store

    def all(self) -> list[Account]:
        return self._accounts.all()

    def begin_mastodon_sign_in(self, server: str, *, out_of_band: bool = False) -> MastodonSignIn:
        return MastodonSignIn(server, self._secrets, out_of_band=out_of_band)

    def finish_mastodon_sign_in(self, server: str, access_token: str) -> Account:
        """Check whose token it is, keep it in the keyring, and add (or refresh) the account."""
        from app.networks.mastodon import MastodonConnector

        probe = MastodonConnector(
            account_id=0, server=server, access_token=access_token, own_user_id="", own_handle=""
        )
        identity = probe.verify()
        self._secrets.put(
            account_secret_name(Network.MASTODON.value, server, identity.handle),
            {"access_token": access_token},
        )
        known = self._accounts.find(Network.MASTODON, server, identity.handle)
        if known is not None:
            # Signing in again: the account and everything fetched for it stay.
            self._accounts.set_state(known.id, AccountState.OK)
            return self._accounts.get(known.id)
        return self._accounts.add(
            NewAccount(
                Network.MASTODON,
                server,
                identity.handle,
                identity.display_name,
                platform_user_id=identity.platform_user_id,
            )
        )
