"""The detail pane: one mention in full, the conversation around it, and its author's history."""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QTextBrowser, QToolTip, QVBoxLayout, QWidget

from storage.drafts import DraftRepository
from storage.records import InboxRow, Mention, TriageStatus, from_timestamp, utc_now
from storage.triage import Note, TriageEvent, TriageState

from app.changes import Changes
from app.inbox.service import InboxService
from app.inbox.triage import PRIORITY_LABELS, TriageService
from app.text.display import age, one_line
from app.text.html import sanitize_html

from ui.changes import ChangeDispatcher
from ui.compose.reply_box import ReplyBox
from ui.links import hover_text, open_external
from ui.write_guard import WriteGuard

_INTERNAL_SCHEME = "heedful"
# From the third post in 30 days an author is a repeat writer: someone whose every post
# needs an answer (two posts are often just a question and a thank-you).
_REPEAT_FROM = 3


class SafeTextBrowser(QTextBrowser):
    """A text browser that never loads anything: images, stylesheets and links stay inert."""

    def loadResource(self, type: int, name: QUrl | str) -> Any:  # noqa: A002 - Qt's name
        return None


class DetailPane(QWidget):
    mention_was_requested = Signal(int)  # a mention in the thread or history was clicked
    thread_is_missing = Signal(int)  # the mention answers a post that is not stored yet
    mention_was_shown = Signal(object)  # the mention id shown, None when nothing is
    # Moving to another mention was refused: the reply being written there is not saved
    # yet (the id of the mention kept on screen).
    switch_was_refused = Signal(int)
    link_was_hovered = Signal(str)  # where a link really goes ("" when the pointer left it)

    def __init__(
        self,
        inbox: InboxService,
        drafts: DraftRepository,
        *,
        can_reply: bool = True,
        triage: TriageService | None = None,
        guard: WriteGuard | None = None,
        changes: ChangeDispatcher | None = None,
    ) -> None:
        super().__init__()
        self._inbox = inbox
        self._triage = triage
        self._drafts = drafts
        self._shown: int | None = None
        self.reply_box = ReplyBox(can_send=can_reply)
        self.reply_box.keep_drafts(drafts, guard, changes)
        self._browser = SafeTextBrowser()
        self._browser.setOpenLinks(False)
        self._browser.anchorClicked.connect(self._open_link)
        self._browser.highlighted.connect(self._hovered)
        self._browser.setAccessibleName("Selected mention")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._browser, 1)
        layout.addWidget(self.reply_box)
        self.show_nothing()

    def show_nothing(self) -> bool:
        if not self.reply_box.show_mention(None):
            return self._refuse()
        self._shown = None
        self.mention_was_shown.emit(None)
        self._browser.setHtml(
            "<p style='color:gray'>Select a mention to read it, its conversation "
            "and what its author wrote before.</p>"
        )
        return True

    def show_mention(self, mention_id: int) -> bool:
        """Show a mention and its draft; False (and `switch_was_refused`) when the reply
        being written for the one on screen could not be saved: it stays."""
        try:
            mention = self._inbox.mention(mention_id)
        except KeyError:
            return self.show_nothing()
        draft, mode = self._drafts.get(mention_id), self._drafts.mode(mention_id)
        if not self.reply_box.show_mention(mention_id, draft, mode == "direct"):
            return self._refuse()
        self._shown = mention_id
        self._show_facts(mention)
        self.mention_was_shown.emit(mention_id)
        if self._inbox.parent_is_missing(mention):
            self.thread_is_missing.emit(mention_id)
        return True

    @property
    def shown_mention_id(self) -> int | None:
        return self._shown

    def changes_did_happen(self, changes: Changes, _initiator: object) -> None:
        """The mention on screen changed (its triage, notes, replies, conversation): show
        it as it is now. Its own draft being saved changes nothing here."""
        shown = self._shown
        if shown is None or shown not in changes.mentions:
            return
        if changes.mentions <= changes.drafts and not changes.outbox:
            return
        try:
            self._show_facts(self._inbox.mention(shown))
        except KeyError:
            self.show_nothing()
            return
        self.mention_was_shown.emit(shown)

    def _refuse(self) -> bool:
        if self._shown is not None:
            self.switch_was_refused.emit(self._shown)
        return False

    def _show_facts(self, mention: Mention) -> None:
        mention_id = mention.id
        thread = self._inbox.thread(mention_id)
        history = self._inbox.author_history(mention.author.id)
        first_seen = self._inbox.author_first_seen(mention.author.id) or mention.created_at
        triage = None
        if self._triage is not None:
            triage = _TriageFacts(
                self._triage.state(mention_id),
                self._triage.notes(mention_id),
                self._triage.history(mention_id),
                self._triage.now(),
            )
        # The scroll position is kept when the same mention is shown again as it changed.
        scroll = self._browser.verticalScrollBar()
        kept = scroll.value() if self._browser.property("mention") == mention_id else 0
        self._browser.setHtml(_render(mention, thread, history, first_seen, triage))
        self._browser.setProperty("mention", mention_id)
        scroll.setValue(kept)

    def add_banner(self, widget: QWidget) -> None:
        """A line above the mention (the team's "Kari is typing a reply")."""
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(0, widget)

    def add_below_reply_box(self, widget: QWidget) -> None:
        layout = self.layout()
        assert layout is not None
        layout.addWidget(widget)

    def plain_text(self) -> str:
        return self._browser.toPlainText()

    def focus_reading(self) -> None:
        """Move the keyboard into the mention's text (Enter on the list)."""
        self._browser.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def focus_reply(self) -> None:
        self.reply_box.editor.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def reading_has_focus(self) -> bool:
        return self._browser.hasFocus()

    def _open_link(self, url: QUrl) -> None:
        if url.scheme() == _INTERNAL_SCHEME:
            number = url.path().rsplit("/", 1)[-1]
            if number.isdigit():
                self.mention_was_requested.emit(int(number))
        else:
            open_external(url)  # http(s) and plain mailto only: links come from servers

    def _hovered(self, url: QUrl) -> None:
        """Where a link really goes, whatever its text says, shown while it is hovered."""
        target = "" if url.isEmpty() or url.scheme() == _INTERNAL_SCHEME else hover_text(url)
        self._browser.setToolTip(target)
        if target:
            QToolTip.showText(QCursor.pos(), target, self._browser)
        else:
            QToolTip.hideText()
        self.link_was_hovered.emit(target)


class _TriageFacts:
    def __init__(
        self, state: TriageState, notes: list[Note], events: list[TriageEvent], now: datetime
    ) -> None:
        self.state = state
        self.notes = notes
        self.events = events
        self.now = now  # the triage clock: a snooze has ended when it says so


def _language_fact(mention: Mention) -> str:
    """The language the mention is read in, and where that came from when the network's
    tag said otherwise (Mastodon apps tag posts with their interface language)."""
    if mention.language is None:
        return "language unknown"
    if mention.language_source == "detected":
        tagged = ", ".join(mention.languages) or "nothing"
        return f"{mention.language} (detected on this computer; the post was tagged {tagged})"
    others = [code for code in mention.languages if code != mention.language]
    return mention.language + (f" (also tagged {', '.join(others)})" if others else "")


def _network_notices(mention: Mention, now: datetime) -> list[str]:
    """What the network said about the post after it arrived: held back by the server,
    deleted, edited; and its own time when that is far from when it arrived."""
    notices: list[str] = []
    if mention.filtered:
        notices.append(
            "<p style='color:#8a6d00'><b>Filtered by your server</b> — "
            f"{html.escape(mention.filtered)}. Mention → Accept or Dismiss filtered request.</p>"
            if not mention.filtered.startswith("Dismissed")
            else f"<p style='color:gray'>{html.escape(mention.filtered)}.</p>"
        )
    if mention.deleted_at is not None:
        notices.append(
            "<p style='color:#b00020'><b>Deleted by its author</b> "
            f"({_ago(mention.deleted_at, now)}). Kept here for the record; there is nothing "
            "left to reply to.</p>"
        )
    if mention.edited_at is not None:
        first = mention.original_text
        said = f" First version: “{html.escape(one_line(first, 300))}”" if first else ""
        notices.append(
            f"<p style='color:gray'>Edited by its author {_ago(mention.edited_at, now)}.{said}</p>"
        )
    if abs(mention.inbox_time - mention.created_at) > timedelta(days=1):
        notices.append(
            f"<p style='color:gray'>It says it was posted "
            f"{mention.created_at.astimezone():%d %b %Y %H:%M}; it reached the brand "
            f"{_ago(mention.inbox_time, now)}.</p>"
        )
    return notices


def _render(
    mention: Mention,
    thread: list[InboxRow],
    history: list[InboxRow],
    first_seen: datetime,
    triage: _TriageFacts | None = None,
) -> str:
    now = utc_now()
    author = mention.author
    who = html.escape(one_line(author.display_name or author.handle, 80))
    handle = html.escape(one_line(author.handle, 80))
    facts = [
        mention.network.value.capitalize(),
        f"to @{html.escape(mention.account_handle)}",
        _ago(mention.inbox_time, now),
        mention.kind.value,
        _language_fact(mention),
    ]
    if triage is None:  # otherwise the triage header says it
        facts.append(mention.status.value)
    parts = [f"<h3>{who} <span style='color:gray'>@{handle}</span></h3>"]
    parts.append(f"<p style='color:gray'>{' · '.join(facts)}</p>")
    if triage is not None:
        parts.append(_triage_header(triage.state, triage.now))
    elif mention.tags:
        parts.append("<p>" + " ".join(f"<b>#{html.escape(t)}</b>" for t in mention.tags) + "</p>")
    parts += _network_notices(mention, now)
    if mention.spoiler_text:
        parts.append(f"<p><b>Content warning:</b> {html.escape(mention.spoiler_text)}</p>")
    if mention.html:
        parts.append(f"<div>{sanitize_html(mention.html)}</div>")
    else:
        body = html.escape(mention.text).replace("\n", "<br>")
        parts.append(f"<p>{body}</p>")
    if mention.url:
        url = html.escape(mention.url, quote=True)
        parts.append(f"<p><a href='{url}'>Open on {mention.network.value.capitalize()}</a></p>")

    if len(thread) > 1:
        parts.append("<h4>Conversation</h4>")
        for row in thread:
            speaker = "You (brand)" if row.is_own else (row.author_name or row.author_handle)
            marker = "▶ " if row.id == mention.id else ""
            style = "color:#2a7a2a" if row.is_own else ""
            parts.append(
                f"<p style='{style}'>{marker}<b>{html.escape(one_line(speaker, 60))}</b> "
                f"<span style='color:gray'>{_ago(row.created_at, now)}</span><br>"
                f"{html.escape(one_line(row.text, 400))}</p>"
            )

    if triage is not None:
        parts.append(_notes_and_history(triage))

    recent = [row for row in history if now - row.created_at <= timedelta(days=30)]
    parts.append(f"<h4>From {who}</h4>")
    parts.append(
        f"<p>{len(recent)} mention{'s' if len(recent) != 1 else ''} in the last 30 days"
        f" · first wrote {_ago(first_seen, now)}</p>"
    )
    # This post's place among the author's posts of the 30 days up to it: a customer who
    # repeats a complaint is obvious, and the ones still open say what is left to answer.
    window = [
        row
        for row in history
        if timedelta(0) <= mention.created_at - row.created_at <= timedelta(days=30)
    ]
    if len(window) >= _REPEAT_FROM:
        unanswered = [row for row in history if row.status is not TriageStatus.DONE]
        parts.append(
            f"<p style='color:#b35900'><b>Repeat: {_ordinal(len(window))} post this month.</b>"
            f" {len(unanswered)} of their posts not done yet: answer every one.</p>"
        )
    for row in history:
        if row.id == mention.id:
            continue
        link = f"{_INTERNAL_SCHEME}:mention/{row.id}"
        parts.append(
            f"<p><a href='{link}'>{_ago(row.created_at, now)}</a> · {row.status.value} · "
            f"{html.escape(one_line(row.text, 160))}</p>"
        )
    return "\n".join(parts)


def _ago(moment: datetime, now: datetime) -> str:
    shown = age(moment, now)
    return "just now" if shown == "now" else f"{shown} ago"


def _triage_header(state: TriageState, now: datetime) -> str:
    facts = [f"<b>{state.status.value.capitalize()}</b>"]
    who = html.escape(state.assignee) if state.assignee else "nobody"
    facts.append(f"assigned to {who}")
    if state.priority:
        facts.append(f"priority {PRIORITY_LABELS.get(state.priority, str(state.priority))}")
    if state.snoozed_until is not None and state.snoozed_until > now:
        facts.append(f"snoozed until {state.snoozed_until.astimezone():%a %d %b %H:%M}")
    tags = " ".join(f"#{html.escape(tag)}" for tag in state.tags) or "no tags"
    facts.append(tags)
    return f"<p style='background:#eef3f8;padding:4px'>{' · '.join(facts)}</p>"


def _notes_and_history(triage: _TriageFacts) -> str:
    parts: list[str] = []
    if triage.notes:
        parts.append("<h4>Internal notes</h4>")
        for note in triage.notes:
            body = html.escape(note.body).replace("\n", "<br>")
            parts.append(
                f"<p><b>{html.escape(note.author)}</b> <span style='color:gray'>"
                f"{note.created_at.astimezone():%d %b %H:%M}</span><br>{body}</p>"
            )
    if triage.events:
        parts.append("<h4>Triage history</h4>")
        for event in reversed(triage.events):  # newest first
            parts.append(
                f"<p style='color:#444'>{event.at.astimezone():%d %b %H:%M} · "
                f"<b>{html.escape(event.actor)}</b> {_event_text(event)}</p>"
            )
    return "\n".join(parts)


def _event_text(event: TriageEvent) -> str:
    old = html.escape(one_line(event.old_value or "", 80))
    new = html.escape(one_line(event.new_value or "", 80))
    if event.field == "tag":
        return f"tagged #{new}" if event.new_value else f"removed tag #{old}"
    if event.field == "note":
        return "added a note"
    if event.field == "snoozed_until":
        if not event.new_value:
            return "woke it from snooze"
        return f"snoozed it until {_event_time(event.new_value)}"
    if event.field == "priority":
        return (
            f"priority {PRIORITY_LABELS.get(int(event.old_value or 0), old)} → "
            f"{PRIORITY_LABELS.get(int(event.new_value or 0), new)}"
        )
    if event.field == "assignee":
        return f"assigned it to {new}" if event.new_value else f"unassigned it (was {old})"
    if event.field == "not_applied":  # the team inbox: a teammate had changed it first
        return f"set {old} to {new or '—'}: not applied, a teammate had changed it first"
    if event.field == "replied":  # the team inbox: a teammate's reply went out
        return "replied"
    return f"{html.escape(event.field)} {old or '—'} → {new or '—'}"


def _event_time(stored: str) -> str:
    return f"{from_timestamp(stored).astimezone():%a %d %b %H:%M}"


def _ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"
