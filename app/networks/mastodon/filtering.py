"""Mastodon's notification policy (4.3+): what the brand's server holds back as notification
requests, and why, in words a community manager reads (pure functions).

A fresh Mastodon 4.3+ account filters private mentions from people it does not follow, and
mentions from accounts a moderator limited; a brand follows few customers, so most of its
customers' direct messages wait there. Heedful fetches them anyway (`include_filtered`),
marks them with the reason and lets the agent accept or dismiss the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

# The policy's categories, in the order they are explained.
POLICY_FIELDS = (
    "for_not_following",
    "for_not_followers",
    "for_new_accounts",
    "for_private_mentions",
    "for_limited_accounts",
)
# Mastodon 4.3.0's first API (v1) said the same with booleans.
_V1_FIELDS = {
    "filter_not_following": "for_not_following",
    "filter_not_followers": "for_not_followers",
    "filter_new_accounts": "for_new_accounts",
    "filter_private_mentions": "for_private_mentions",
}
NEW_ACCOUNT_AGE = timedelta(days=30)
_CHOICES = {"accept", "filter", "drop"}


@dataclass(frozen=True, slots=True)
class NotificationPolicy:
    """The brand account's policy: per category accept, filter or drop; and how many
    requests (accounts) and notifications wait."""

    rules: Mapping[str, str]
    requests_waiting: int = 0
    notifications_waiting: int = 0

    def filters(self, category: str) -> bool:
        return self.rules.get(category) == "filter"

    def describe(self) -> str:
        """One line for channel health: what the server holds back or drops."""
        held = [_CATEGORY_WORDS[name] for name in POLICY_FIELDS if self.rules.get(name) == "filter"]
        dropped = [
            _CATEGORY_WORDS[name] for name in POLICY_FIELDS if self.rules.get(name) == "drop"
        ]
        parts = []
        if held:
            parts.append("filters " + ", ".join(held))
        if dropped:
            parts.append("drops " + ", ".join(dropped) + " (Heedful never sees those)")
        return "; ".join(parts) or "accepts every notification"


_CATEGORY_WORDS = {
    "for_not_following": "people the brand does not follow",
    "for_not_followers": "people who do not follow the brand",
    "for_new_accounts": "accounts younger than 30 days",
    "for_private_mentions": "private mentions",
    "for_limited_accounts": "accounts a moderator limited",
}


def read_policy(payload: Any) -> NotificationPolicy | None:
    """The policy as either API version serves it; None when it cannot be read."""
    if not isinstance(payload, Mapping):
        return None
    rules: dict[str, str] = {}
    for name in POLICY_FIELDS:
        value = payload.get(name)
        if isinstance(value, str) and value in _CHOICES:
            rules[name] = value
    for old, name in _V1_FIELDS.items():
        value = payload.get(old)
        if name not in rules and isinstance(value, bool):
            rules[name] = "filter" if value else "accept"
    if not rules:
        return None
    summary = payload.get("summary")
    summary = summary if isinstance(summary, Mapping) else {}
    return NotificationPolicy(
        rules,
        requests_waiting=_count(summary.get("pending_requests_count")),
        notifications_waiting=_count(summary.get("pending_notifications_count")),
    )


def _count(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    try:
        return max(0, int(value)) if isinstance(value, int | str) else 0
    except ValueError:
        return 0


def may_be_filtered(
    notification: Mapping[str, Any], policy: NotificationPolicy | None, now: datetime
) -> bool:
    """Whether the policy could have filtered this notification (None: the policy is not
    known, so any could have): only those are compared with the server's main list."""
    if policy is None:
        return True
    status = notification.get("status")
    status = status if isinstance(status, Mapping) else {}
    author = notification.get("account") or status.get("account")
    author = author if isinstance(author, Mapping) else {}
    created = _time(author.get("created_at"))
    return (
        (policy.filters("for_private_mentions") and status.get("visibility") in (
            "private", "direct"))
        or (policy.filters("for_limited_accounts") and author.get("limited") is True)
        or (policy.filters("for_new_accounts") and (created is None
                                                    or now - created < NEW_ACCOUNT_AGE))
        or policy.filters("for_not_following")
        or policy.filters("for_not_followers")
    )  # fmt: skip


def policy_to_json(policy: NotificationPolicy) -> dict[str, Any]:
    return {
        "rules": dict(policy.rules),
        "requests": policy.requests_waiting,
        "notifications": policy.notifications_waiting,
    }


def policy_from_json(value: Any) -> NotificationPolicy | None:
    if not isinstance(value, Mapping) or not isinstance(value.get("rules"), Mapping):
        return None
    rules = {str(k): str(v) for k, v in value["rules"].items() if str(v) in _CHOICES}
    return NotificationPolicy(
        rules, _count(value.get("requests")), _count(value.get("notifications"))
    )


@dataclass(frozen=True, slots=True)
class WaitingRequest:
    """A notification request: one account whose notifications the server holds back."""

    request_id: str
    author_platform_id: str
    author_handle: str
    notifications: int


def read_request(payload: Any) -> WaitingRequest | None:
    if not isinstance(payload, Mapping):
        return None
    request_id, account = payload.get("id"), payload.get("account")
    if not isinstance(account, Mapping) or not isinstance(request_id, str | int):
        return None
    author_id, acct = account.get("id"), account.get("acct")
    if not isinstance(author_id, str | int) or not isinstance(acct, str):
        return None
    return WaitingRequest(
        str(request_id), str(author_id), acct, _count(payload.get("notifications_count"))
    )


@dataclass(frozen=True, slots=True)
class Relationship:
    following: bool  # the brand follows them
    followed_by: bool  # they follow the brand


@dataclass
class FilterContext:
    """What it takes to say why a notification was filtered: the policy, and the brand's
    relationship to each author (when the policy filters on it)."""

    server_name: str
    policy: NotificationPolicy | None
    relationships: dict[str, Relationship] = field(default_factory=dict)

    def reason(self, notification: Mapping[str, Any], now: datetime) -> str:
        """Why the server filtered this notification, as far as its policy tells."""
        status = notification.get("status")
        status = status if isinstance(status, Mapping) else {}
        author = notification.get("account") or status.get("account")
        author = author if isinstance(author, Mapping) else {}
        author_id = str(author.get("id", ""))
        policy = self.policy
        found: list[str] = []
        relation = self.relationships.get(author_id)
        if policy is not None:
            if policy.filters("for_private_mentions") and status.get("visibility") in (
                "private",
                "direct",
            ):
                found.append("a private mention")
            if policy.filters("for_limited_accounts") and author.get("limited") is True:
                found.append("from an account a moderator limited")
            created = _time(author.get("created_at"))
            if (
                policy.filters("for_new_accounts")
                and created is not None
                and now - created < NEW_ACCOUNT_AGE
            ):
                found.append("from an account younger than 30 days")
            if relation is not None:
                if policy.filters("for_not_following") and not relation.following:
                    found.append("from someone the brand does not follow")
                if policy.filters("for_not_followers") and not relation.followed_by:
                    found.append("from someone who does not follow the brand")
        why = "; ".join(found) if found else "its notification policy"
        return f"Filtered by {self.server_name}: {why}"


def _time(value: Any) -> datetime | None:
    moment: datetime | None = None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and len(value) < 64:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment
