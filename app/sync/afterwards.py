"""After the new mentions are in: what the networks say about posts already stored.

- Notifications the brand's server holds back (Mastodon 4.3+ notification requests): the
  policy and how many wait, for channel health; a request accepted or dismissed elsewhere
  (the web interface) brings back what it merged, below the forward-only cursor, or closes
  what it deleted; a request seen for the first time brings what it held from before.
- Recent open posts are looked at again, at a calm pace, for edits and deletions; one
  opened in the window is looked at at once.
- Accepting or dismissing a request from Heedful (`RequestsService`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from storage.accounts import AccountHealthRepository, AccountRepository
from storage.cursors import CursorRepository
from storage.mentions import MentionRepository
from storage.mentions.afterwards import LookedAt
from storage.records import (
    Account,
    Mention,
    TriageStatus,
    from_timestamp,
    to_timestamp,
    utc_now,
)
from storage.triage import TriageRepository

from app.changes import Changes
from app.networks.base import Connector, FiltersNotifications, LooksAgain
from app.networks.errors import NeedsSignIn, NetworkError, RateLimited

log = logging.getLogger(__name__)

REQUESTS_STREAM = "notification_requests"  # the authors whose requests waited last time
LOOKED_STREAM = "looked_again"  # when recent posts were last looked at again
LOOK_EVERY = timedelta(minutes=10)  # a calm pace: a few requests per account and hour
LOOK_BACK = timedelta(days=3)  # edits and deletions matter while the work is fresh
LOOK_BATCH = 40
SETTLE_EVERY = timedelta(minutes=5)  # waiting requests read again, when their count holds
OPENED_FRESH = timedelta(minutes=1)  # an opened post looked at this recently is not asked again


class NoRequest(ValueError):
    """The mention has no notification request to accept or dismiss; says why."""


@dataclass(frozen=True, slots=True)
class RequestOutcome:
    changes: Changes
    message: str  # for the status bar and the command line


class AfterwardsService:
    def __init__(
        self,
        mentions: MentionRepository,
        cursors: CursorRepository,
        health: AccountHealthRepository,
        triage: TriageRepository,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._mentions = mentions
        self._cursors = cursors
        self._health = health
        self._triage = triage
        self._clock = clock

    def after_pull(
        self, account: Account, connector: Connector, keep_lease: Callable[[], None]
    ) -> Changes:
        """Both steps, at their own pace; a failure of either (other than a sign-in or rate
        limit the account's state must show) is logged and left for the next sync."""
        changes = Changes()
        for step in (self.settle_requests, self.look_again):
            keep_lease()
            try:
                changes |= step(account, connector)
            except (NeedsSignIn, RateLimited):
                raise  # the account's state must say so
            except NetworkError as problem:
                # The new mentions are in; this is done again at the next sync.
                log.warning("%s: %s", account.handle, problem)
        return changes

    # --- notification requests -------------------------------------------------------------

    def settle_requests(self, account: Account, connector: Connector) -> Changes:
        if not isinstance(connector, FiltersNotifications):
            return Changes()
        held = connector.held_back()
        if held is None:
            self._health.record_held_back(account.id, None, None, None)
            return Changes()
        self._health.record_held_back(
            account.id, held.description, held.requests_waiting, held.notifications_waiting
        )
        before, settled_at = self._known_waiting(account.id)
        now = self._clock()
        # The requests are read only while some wait (or waited): at once when their number
        # moved, else every SETTLE_EVERY (one accepted as another arrives).
        if not held.requests_waiting and not before:
            return Changes()
        due = settled_at is None or now - settled_at >= SETTLE_EVERY
        if held.requests_waiting == len(before) and not due:
            return Changes()
        waiting = connector.waiting_authors()
        if len(waiting) != held.requests_waiting:  # the policy's summary was read earlier
            self._health.record_held_back(
                account.id, held.description, len(waiting),
                held.notifications_waiting if waiting else 0,
            )  # fmt: skip
        changed: set[int] = set()
        for author in sorted(waiting - before):
            # Seen for the first time: what it held before Heedful's cursor got there too.
            changed |= self._take_held(account, connector, author)
        for author in sorted(before - waiting):
            # Accepted or dismissed in the web interface (or another Heedful).
            changed |= self._settle(account, connector, author, by="")
        self._remember_waiting(account.id, waiting, now)
        return Changes.of(mentions=changed, accounts=[account.id]) if changed else Changes()

    def _known_waiting(self, account_id: int) -> tuple[set[str], datetime | None]:
        """The authors whose requests waited at the last look, and when that was."""
        try:
            known = json.loads(self._cursors.get(account_id, REQUESTS_STREAM) or "{}")
        except ValueError:
            return set(), None
        if isinstance(known, list):  # as the first steps of this version wrote it
            return {str(author) for author in known}, None
        if not isinstance(known, dict) or not isinstance(known.get("authors"), list):
            return set(), None
        at = known.get("at")
        return {str(a) for a in known["authors"]}, (
            from_timestamp(at) if isinstance(at, str) and at else None
        )

    def _remember_waiting(self, account_id: int, authors: Iterable[str], at: datetime) -> None:
        state = {"authors": sorted(authors), "at": to_timestamp(at)}
        self._cursors.put(account_id, REQUESTS_STREAM, json.dumps(state))

    def _take_held(
        self, account: Account, connector: FiltersNotifications, author: str
    ) -> set[int]:
        items = connector.from_author(author, as_filtered=True)
        # Those stored as inbox work came through the main list: not filtered.
        known = self._mentions.ids_of(account.id, [i.platform_id for i in items], inbox=True)
        fresh = [item for item in items if item.platform_id not in known]
        before = self._mentions.newest_id()
        if self._mentions.ingest(fresh):
            return set(range(before + 1, self._mentions.newest_id() + 1))
        return set()

    def _settle(
        self, account: Account, connector: FiltersNotifications, author: str, *, by: str
    ) -> set[int]:
        """The author's request is gone: what the server still has from them was accepted
        (merged back; fetched again, wherever it sits below the cursor); what it no longer
        has was dismissed (the server deleted it): kept here, closed, marked so."""
        items = connector.from_author(author, as_filtered=False)
        before = self._mentions.newest_id()
        waiting = set(self._mentions.filtered_by_author(account.id, author))
        self._mentions.ingest([replace(item, filtered=None) for item in items])
        merged = set(range(before + 1, self._mentions.newest_id() + 1))
        still = self._mentions.filtered_by_author(account.id, author)
        if still:
            host = urlsplit(account.server).hostname or account.server
            self._mentions.mark_dismissed(
                still, f"Dismissed on {host}{by}: the server deleted what it held"
            )
            self._close(still, actor=f"{host} (request dismissed)")
        return merged | waiting

    def _close(self, mention_ids: list[int], *, actor: str) -> None:
        self._triage.set_field(
            mention_ids, "status", TriageStatus.DONE.value, actor=actor, at=self._clock()
        )

    # --- edits and deletions -------------------------------------------------------------------

    def look_again(self, account: Account, connector: Connector) -> Changes:
        if not isinstance(connector, LooksAgain):
            return Changes()
        now = self._clock()
        last = self._cursors.get(account.id, LOOKED_STREAM)
        if last is not None and last > to_timestamp(now - LOOK_EVERY):
            return Changes()
        wanted = self._mentions.posts_to_look_at(
            account.id, arrived_since=now - LOOK_BACK, checked_before=now - LOOK_EVERY,
            limit=LOOK_BATCH,
        )  # fmt: skip
        self._cursors.put(account.id, LOOKED_STREAM, to_timestamp(now))
        if not wanted:
            return Changes()
        found = connector.look_again(wanted)
        looked = self._mentions.record_looked_at(account.id, wanted, found.current, found.gone,
                                                 now)  # fmt: skip
        if looked.deleted:
            log.info("%s: %d post(s) deleted by their authors", account.handle,
                     len(looked.deleted))  # fmt: skip
        return Changes.of(mentions=[*looked.edited, *looked.deleted])

    def look_at(self, mention: Mention, connector: Connector) -> Changes:
        """One post, opened in the window: its edits and whether it is still there, now."""
        if not isinstance(connector, LooksAgain) or mention.is_own:
            return Changes()
        now = self._clock()
        if mention.checked_at is not None and now - mention.checked_at < OPENED_FRESH:
            return Changes()
        found = connector.look_again([mention.platform_id])
        looked = self._mentions.record_looked_at(
            mention.account_id, [mention.platform_id], found.current, found.gone, now
        )
        edited = looked.edited or (mention.edited_at is not None and not mention.original_text)
        if edited and not looked.deleted:
            first = connector.first_version(mention.platform_id)
            if first:
                self._mentions.set_original_text(mention.id, first)
        if looked.edited or looked.deleted:
            return Changes.of(mentions=[mention.id], description=_looked(looked))
        return Changes()


def _looked(looked: LookedAt) -> str:
    return "The author deleted this post" if looked.deleted else "The author edited this post"


class RequestsService:
    """Accepting or dismissing, from Heedful, a notification request the brand's server
    filtered (the command line and the window both use this)."""

    def __init__(
        self,
        accounts: AccountRepository,
        mentions: MentionRepository,
        afterwards: AfterwardsService,
        cursors: CursorRepository,
        triage: TriageRepository,
        connector_for: Callable[[Account], Connector],
        actor: Callable[[], str],
    ) -> None:
        self._accounts = accounts
        self._mentions = mentions
        self._afterwards = afterwards
        self._cursors = cursors
        self._triage = triage
        self._connector_for = connector_for
        self._actor = actor

    def waiting(self, mention_id: int) -> Mention:
        """The mention, if it waits as a filtered request; NoRequest says why not."""
        mention = self._mentions.get(mention_id)
        if mention.filtered is None:
            raise NoRequest(f"Mention {mention_id} reached the inbox: there is no request.")
        if mention.filtered.startswith("Dismissed"):
            raise NoRequest(f"The request for mention {mention_id} was dismissed already.")
        return mention

    def accept(self, mention_id: int) -> RequestOutcome:
        """Accept the author's request on the server: their notifications join the main list
        (and the next ones are accepted); here every one of their filtered mentions is an
        ordinary mention from now on."""
        mention = self.waiting(mention_id)
        account = self._accounts.get(mention.account_id)
        connector = self._connector_for(account)
        try:
            if not isinstance(connector, FiltersNotifications):
                raise NoRequest(f"{account.handle}'s network holds nothing back.")
            connector.accept_request(mention.author.platform_id)
            ids = set(self._mentions.filtered_by_author(account.id, mention.author.platform_id))
            before = self._mentions.newest_id()
            items = connector.from_author(mention.author.platform_id, as_filtered=False)
            self._mentions.ingest([replace(item, filtered=None) for item in items])
            ids |= set(range(before + 1, self._mentions.newest_id() + 1))
            self._mentions.clear_filtered(sorted(ids))
        finally:
            connector.close()
        self._forget(account.id, mention.author.platform_id)
        who = "@" + mention.author.handle.lstrip("@")
        return RequestOutcome(
            Changes.of(mentions=ids, accounts=[account.id], description=f"Accepted {who}"),
            f"Accepted {who}: their {len(ids)} filtered mention(s) are in the inbox.",
        )

    def dismiss(self, mention_id: int) -> RequestOutcome:
        """Dismiss the author's request on the server (it deletes what it held). Here the
        mentions stay, for the record, marked dismissed and done."""
        mention = self.waiting(mention_id)
        account = self._accounts.get(mention.account_id)
        connector = self._connector_for(account)
        try:
            if not isinstance(connector, FiltersNotifications):
                raise NoRequest(f"{account.handle}'s network holds nothing back.")
            connector.dismiss_request(mention.author.platform_id)
        finally:
            connector.close()
        ids = self._mentions.filtered_by_author(account.id, mention.author.platform_id)
        agent = self._actor().strip() or "an agent"
        self._mentions.mark_dismissed(ids, f"Dismissed in Heedful by {agent}")
        written = self._triage.set_field(
            ids, "status", TriageStatus.DONE.value, actor=agent, at=utc_now()
        )
        self._forget(account.id, mention.author.platform_id)
        who = "@" + mention.author.handle.lstrip("@")
        return RequestOutcome(
            Changes.of(
                mentions=ids,
                triage=written.mention_ids,
                accounts=[account.id],
                description=f"Dismissed {who}",
            ),
            f"Dismissed {who}'s request: {len(ids)} mention(s) closed, kept for the record.",
        )

    def _forget(self, account_id: int, author: str) -> None:
        """Heedful settled it itself: the next sync must not settle it again."""
        known, _at = self._afterwards._known_waiting(account_id)
        self._afterwards._remember_waiting(account_id, known - {author}, utc_now())
