"""The one guard every GUI slot that writes goes through.

A full disk or a locked database (`storage.errors.StoreError`) becomes a message a person
sees, never a traceback in the console with the edit gone. Writes that the window retries by
itself (a draft) are kept in the "not saved yet" list until a later attempt succeeds; one-off
actions (a triage change) say once that they did not happen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from PySide6.QtCore import QObject, Signal

from storage.errors import StoreError

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Attempt(Generic[T]):
    """How a guarded write went: what it returned, or the problem a person can act on."""

    value: T | None = None
    problem: StoreError | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def message(self, what: str) -> str:
        return "" if self.problem is None else f"{what} not saved yet: {self.problem}"


class WriteGuard(QObject):
    write_did_fail = Signal(str)  # a one-off write that did not happen, for the status bar
    unsaved_did_change = Signal(str)  # what is still not saved ("" once everything is)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsaved: dict[str, str] = {}  # key of a write retried later -> its message

    def attempt(self, what: str, write: Callable[[], T], *, key: str | None = None) -> Attempt[T]:
        """Run `write`. A StoreError is turned into a message (`what` not saved yet, and why);
        with a `key`, the message stays in `unsaved` until a later attempt with that key
        succeeds. Other exceptions are bugs and go on up."""
        try:
            value = write()
        except StoreError as problem:
            log.warning("%s not saved: %s", what, problem)
            attempt: Attempt[T] = Attempt(problem=problem)
            if key is None:
                self.write_did_fail.emit(attempt.message(what))
            else:
                self._unsaved[key] = attempt.message(what)
                self.unsaved_did_change.emit(self.unsaved_text())
            return attempt
        if key is not None and self._unsaved.pop(key, None) is not None:
            self.unsaved_did_change.emit(self.unsaved_text())
        return Attempt(value=value)

    def forget(self, key: str) -> None:
        """The write retried under `key` is not wanted any more (what it saved is gone)."""
        if self._unsaved.pop(key, None) is not None:
            self.unsaved_did_change.emit(self.unsaved_text())

    @property
    def unsaved(self) -> list[str]:
        return list(self._unsaved.values())

    def unsaved_text(self) -> str:
        return "\n".join(self._unsaved.values())
