"""Adding the brand's accounts: sign-in flows, identity checks, and their keyring secrets."""

from __future__ import annotations

from storage.accounts import AccountRepository
from storage.records import Account, AccountState, Network, NewAccount

from app.networks.errors import NeedsSignIn, Offline, ServerTrouble
from app.networks.mastodon.auth import MastodonSignIn, normalize_server
from app.networks.x.auth import API_SERVER as X_API_SERVER
from app.networks.x.auth import Tokens, XSignIn
from app.secrets import SecretStore, account_secret_name

BLUESKY_SERVER = "https://bsky.social"


class AccountService:
    def __init__(self, accounts: AccountRepository, secrets_store: SecretStore) -> None:
        self._accounts = accounts
        self._secrets = secrets_store

    def all(self) -> list[Account]:
        return self._accounts.all()

    def _known(
        self, network: Network, server: str, handle: str, platform_user_id: str | None
    ) -> Account | None:
        """The account being signed in again, if it is one: by handle, or by its user id when
        the handle (or the spelling of the server) changed; then filed under the new ones,
        as its fresh keyring entry is."""
        known = self._accounts.find(network, server, handle)
        if known is None and platform_user_id:
            known = self._accounts.find_user(network, server, platform_user_id)
            if known is not None:
                known = self._accounts.set_address(known.id, server, handle)
        return known

    def begin_mastodon_sign_in(self, server: str, *, out_of_band: bool = False) -> MastodonSignIn:
        return MastodonSignIn(server, self._secrets, out_of_band=out_of_band)

    def finish_mastodon_sign_in(self, server: str, access_token: str) -> Account:
        """Check whose token it is, keep it in the keyring, and add (or refresh) the account."""
        from app.networks.mastodon.connector import MastodonConnector

        # In the one spelling the account is stored under, or the keyring entry would be
        # filed where the sync never looks (`social.example/` is `https://social.example`).
        server = normalize_server(server)

        probe = MastodonConnector(
            account_id=0, server=server, access_token=access_token, own_user_id="", own_handle=""
        )
        try:
            identity = probe.verify()
        finally:
            probe.close()
        self._secrets.put(
            account_secret_name(Network.MASTODON.value, server, identity.handle),
            {"access_token": access_token},
        )
        known = self._known(Network.MASTODON, server, identity.handle, identity.platform_user_id)
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

    def add_bluesky(self, handle: str, app_password: str, server: str = BLUESKY_SERVER) -> Account:
        """Sign in once with an app password and keep only the session it gives.

        The password itself is not kept: the session is refreshed from then on, never
        re-created (`createSession` is limited to 30 per 5 minutes, 300 per day).
        """
        from atproto import Client
        from atproto_client import exceptions as atproto_errors

        server = normalize_server(server, what="Bluesky server (PDS)")
        handle = handle.strip().lstrip("@")
        if not handle or not app_password:
            raise NeedsSignIn("Enter the account's handle and an app password.")
        client = Client(base_url=server)
        try:
            client.login(handle, app_password, fetch_bsky_profile=False)
            session = client.com.atproto.server.get_session()
        except (atproto_errors.UnauthorizedError, atproto_errors.BadRequestError) as error:
            raise NeedsSignIn(
                f"Bluesky did not accept {handle} with that password ({error}). Use an app "
                "password from Settings → Privacy and security → App passwords."
            ) from error
        except (atproto_errors.NetworkError, atproto_errors.InvokeTimeoutError) as error:
            raise Offline(f"Cannot reach {server}.") from error
        except atproto_errors.AtProtocolError as error:
            raise ServerTrouble(f"Bluesky could not sign you in: {error}") from error
        finally:
            client.request.close()
        self._secrets.put(
            account_secret_name(Network.BLUESKY.value, server, session.handle),
            {"session": client.export_session_string()},
        )
        known = self._known(Network.BLUESKY, server, session.handle, session.did)
        if known is not None:
            self._accounts.set_state(known.id, AccountState.OK)
            return self._accounts.get(known.id)
        return self._accounts.add(
            NewAccount(Network.BLUESKY, server, session.handle, platform_user_id=session.did)
        )

    def begin_x_sign_in(
        self,
        client_id: str | None,
        *,
        server: str = X_API_SERVER,
        port: int | None = None,
        pasted: bool = False,
    ) -> XSignIn:
        """Sign-in through the person's own X app (its client id is asked for once)."""
        return XSignIn(self._secrets, client_id=client_id, server=server, port=port, pasted=pasted)

    def finish_x_sign_in(self, sign_in: XSignIn, tokens: Tokens) -> Account:
        """Check whose tokens they are, keep them in the keyring, add (or refresh) the account."""
        return self.add_x_signed_in(sign_in.client_id, tokens, server=sign_in.server)

    def add_x_signed_in(
        self, client_id: str, tokens: Tokens, *, server: str = X_API_SERVER
    ) -> Account:
        """An X account from tokens its owner's app was given (a sign-in just finished, or
        the live tests' saved sign-in): whose they are is asked of X itself."""
        from app.networks.x.auth import TokenKeeper
        from app.networks.x.client import XClient
        from app.networks.x.connector import XConnector

        client = XClient(server, None)
        saved: dict[str, object] = {}
        client.tokens = TokenKeeper(
            server, tokens.as_secret(client_id), saved.update, client.session
        )
        probe = XConnector(account_id=0, client=client, own_user_id="", own_handle="")
        try:
            identity = probe.verify()
        finally:
            probe.close()
        current = client.tokens.tokens  # a refresh during the check rotated them
        self._secrets.put(
            account_secret_name(Network.X.value, server, identity.handle),
            current.as_secret(client_id),
        )
        known = self._accounts.find(Network.X, server, identity.handle)
        if known is not None:
            self._accounts.set_state(known.id, AccountState.OK)
            return self._accounts.get(known.id)
        return self._accounts.add(
            NewAccount(
                Network.X,
                server,
                identity.handle,
                identity.display_name,
                platform_user_id=identity.platform_user_id,
            )
        )
