"""The X API v2 over HTTP: timeouts, the sign-in, rate limits, spend and typed errors.

Written on `requests` (already Heedful's) rather than an X library; tried and measured first
(see the note in `app.networks.x.connector`): `tweepy` 4.17 talks only to api.twitter.com
and uses the field names of before X's 2.167 specification; the official `xdk` 0.10.6 sends
every request without a timeout (a silent server holds the sync for ever), reads answers
through Pydantic models of the whole page (one odd post refuses the page), keeps no
rate-limit headers and takes about 2.7 s to import.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from storage.usage import UsageCounts

from app.networks.base import Heartbeat, RateLimitState
from app.networks.errors import (
    NeedsSignIn,
    NetworkError,
    Offline,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    ServerTrouble,
)
from app.networks.interrupt import SocketWatch, requests_session
from app.networks.waiting import pause
from app.networks.x.auth import TokenKeeper
from app.networks.x.spend import Meter

log = logging.getLogger(__name__)

REQUEST_TIMEOUT_S = 20
# A 429 whose window resets sooner than this is waited out (interruptibly); a longer one
# is reported as "rate-limited until …" (X's windows are 15 minutes).
LONGEST_WAIT_S = 60
# Below this many requests left in a window, wait for it (when the wait is short) rather
# than spend the last ones.
PACE_FLOOR = 1


@dataclass
class _Window:
    limit: int | None
    remaining: int | None
    resets_at: float | None


def _number(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name, "")
    return int(value) if value.isdigit() else None


class XClient:
    def __init__(
        self,
        server: str,
        tokens: TokenKeeper | None,
        *,
        stop: threading.Event | None = None,
        meter: Meter | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.server = server
        self._stop = stop or threading.Event()
        # Quitting cuts open connections: a stalled server never holds the app open.
        self._watch = SocketWatch(self._stop)
        self.session = session or requests_session(self._watch)
        self.session.headers["User-Agent"] = "Heedful"
        self.tokens = tokens
        self.meter = meter
        # Set by the sync (through the connector): called while a rate-limit wait lasts, to
        # keep the account's lease.
        self.heartbeat: Heartbeat | None = None
        self._windows: dict[str, _Window] = {}
        self._last_endpoint = ""

    # --- requests --------------------------------------------------------------------------------

    def get(
        self,
        what: str,
        endpoint: str,
        path: str,
        params: Mapping[str, str],
        *,
        usage: Callable[[Any], UsageCounts],
    ) -> Any:
        """GET `path`; `endpoint` names its rate-limit window; `usage` says what the
        answer cost (X bills each resource returned)."""
        answer = self._request("GET", what, endpoint, path, params=params)
        if self.meter is not None:
            counts = usage(answer)
            self.meter.record(
                UsageCounts(counts.post_reads, counts.user_reads, counts.dm_reads, requests=1)
            )
        return answer

    def post(self, what: str, endpoint: str, path: str, body: Mapping[str, Any]) -> Any:
        """POST a new post or message. Raises OutcomeUnknown when it may have arrived
        without a clear answer; the other errors mean it was certainly not made."""
        return self._request("POST", what, endpoint, path, body=body)

    def _request(
        self,
        method: str,
        what: str,
        endpoint: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        if self.tokens is None:
            raise NeedsSignIn("Heedful has no X sign-in for this account: sign in again.")
        refreshed = False
        for _attempt in range(4):
            self._pace(endpoint, what)
            token = self.tokens.bearer()
            try:
                response = self.session.request(
                    method,
                    f"{self.server}{path}",
                    params=params,
                    json=body,
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=REQUEST_TIMEOUT_S,
                )
            except requests.RequestException as error:
                if self._stop.is_set():
                    raise Offline("Stopped.") from error
                if method == "POST" and _may_have_arrived(error):
                    raise OutcomeUnknown(
                        f"No answer from X while {what} ({type(error).__name__}): it may have "
                        "gone through. Heedful looks for it before trying again."
                    ) from error
                raise Offline(f"Cannot reach X while {what}.") from error
            self._note_window(endpoint, response.headers)
            status = response.status_code
            if status == 401 and not refreshed:
                refreshed = True
                self.tokens.refresh(token)
                continue
            if status == 429:
                wait = self._seconds_to_reset(endpoint)
                if wait is None or wait > LONGEST_WAIT_S:
                    raise RateLimited(
                        f"X asks Heedful to wait before {what}.", self._reset(endpoint)
                    )
                log.info("X rate-limited %s: waiting %.1f s", what, wait)
                self._sleep(wait)
                continue
            return self._read(method, what, response)
        raise RateLimited(f"X kept rate-limiting {what}.", self._reset(endpoint))

    def _read(self, method: str, what: str, response: requests.Response) -> Any:
        status = response.status_code
        try:
            answer = response.json()
        except ValueError:
            answer = None
        message = _message(answer) or response.reason or str(status)
        if status in (200, 201):
            if not isinstance(answer, dict):
                if method == "POST":
                    raise OutcomeUnknown(f"X's answer to {what} was unreadable.")
                raise ServerTrouble(f"X's answer to {what} was unreadable; Heedful will try again.")
            return answer
        if status == 401:
            raise NeedsSignIn(
                f"X no longer accepts Heedful's sign-in ({message}). Sign in to this account again."
            )
        if status == 403 and "scope" in message.lower():
            raise NeedsSignIn(
                f"X refused Heedful's permissions while {what} ({message}). Sign in again."
            )
        if status >= 500:
            if method == "POST":
                raise OutcomeUnknown(f"X failed while {what} ({status}): it may have gone through.")
            raise ServerTrouble(f"X had a problem while {what} ({status}); Heedful will try again.")
        raise Rejected(f"X refused {what}: {message}")

    # --- rate limits -----------------------------------------------------------------------------

    def _note_window(self, endpoint: str, headers: Mapping[str, str]) -> None:
        lowered = {k.lower(): v for k, v in headers.items()}
        if "x-rate-limit-remaining" not in lowered:
            return
        reset = _number(lowered, "x-rate-limit-reset")
        self._windows[endpoint] = _Window(
            _number(lowered, "x-rate-limit-limit"),
            _number(lowered, "x-rate-limit-remaining"),
            None if reset is None else float(reset),
        )
        self._last_endpoint = endpoint

    def _seconds_to_reset(self, endpoint: str) -> float | None:
        window = self._windows.get(endpoint)
        if window is None or window.resets_at is None:
            return None
        return max(0.5, window.resets_at - time.time() + 0.5)

    def _reset(self, endpoint: str) -> datetime | None:
        window = self._windows.get(endpoint)
        if window is None or window.resets_at is None:
            return None
        return datetime.fromtimestamp(window.resets_at, UTC)

    def _pace(self, endpoint: str, what: str) -> None:
        if self._stop.is_set():
            raise Offline("Stopped.")
        window = self._windows.get(endpoint)
        if window is None or window.remaining is None or window.remaining >= PACE_FLOOR:
            return
        wait = self._seconds_to_reset(endpoint)
        if wait is None or window.resets_at is None or window.resets_at <= time.time():
            return
        if wait > LONGEST_WAIT_S:
            raise RateLimited(f"X's request budget for {what} is used up.", self._reset(endpoint))
        self._sleep(wait)

    def _sleep(self, seconds: float) -> None:
        pause(seconds, self._stop, self.heartbeat)

    def rate_limit(self) -> RateLimitState:
        """The most spent of the windows X reported (the one that will stop the sync first)."""
        known = [w for w in self._windows.values() if w.remaining is not None]
        if not known:
            return RateLimitState()
        tightest = min(known, key=lambda w: (w.remaining or 0) / (w.limit or 1) if w.limit else 1.0)
        return RateLimitState(
            limit=tightest.limit,
            remaining=tightest.remaining,
            resets_at=None
            if tightest.resets_at is None
            else datetime.fromtimestamp(tightest.resets_at, UTC),
        )

    def close(self) -> None:
        self._watch.unregister()
        self.session.close()


def _may_have_arrived(error: requests.RequestException) -> bool:
    """Whether a failed request may have reached X: everything but a connection that was
    never made."""
    if isinstance(error, requests.ConnectTimeout):
        return False
    if isinstance(error, requests.ConnectionError):
        text = str(error)
        return not any(
            sign in text
            for sign in ("NewConnectionError", "Connection refused", "Name or service not known",
                         "Failed to resolve", "No route to host")
        )  # fmt: skip
    return True


def _message(answer: Any) -> str:
    if not isinstance(answer, dict):
        return ""
    for key in ("detail", "message", "title", "error_description"):
        if isinstance(answer.get(key), str):
            return str(answer[key])[:300]
    errors = answer.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return _message(errors[0])
    return ""


__all__ = ["NetworkError", "OutcomeUnknown", "XClient"]
