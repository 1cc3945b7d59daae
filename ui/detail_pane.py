"""The detail pane: one mention in full, the conversation around it, and its author's history."""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget

from storage.records import InboxRow, Mention, utc_now
from storage.sync_state import DraftRepository

from app.html import sanitize_html
from app.inbox import InboxService
from app.text import age, one_line

from ui.reply_box import ReplyBox

_INTERNAL_SCHEME = "heedful"


class SafeTextBrowser(QTextBrowser):
    """A text browser that never loads anything: images, stylesheets and links stay inert."""

    def loadResource(self, type: int, name: QUrl | str) -> Any:  # noqa: A002 - Qt's name
        return None


class DetailPane(QWidget):
    mention_was_requested = Signal(int)  # a mention in the thread or history was clicked
    thread_is_missing = Signal(int)  # the mention answers a post that is not stored yet
    mention_was_shown = Signal(object)  # the mention id shown, None when nothing is

    def __init__(
        self, inbox: InboxService, drafts: DraftRepository, *, can_reply: bool = True
    ) -> None:
        super().__init__()
        self._inbox = inbox
        self._drafts = drafts
        self.reply_box = ReplyBox(can_send=can_reply)
        self.reply_box.draft_did_change.connect(drafts.save)
        self._browser = SafeTextBrowser()
        self._browser.setOpenLinks(False)
        self._browser.anchorClicked.connect(self._open_link)
        self._browser.setAccessibleName("Selected mention")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._browser, 1)
        layout.addWidget(self.reply_box)
        self.show_nothing()

    def show_nothing(self) -> None:
        self.reply_box.show_mention(None)
        self.mention_was_shown.emit(None)
        self._browser.setHtml(
            "<p style='color:gray'>Select a mention to read it, its conversation "
            "and what its author wrote before.</p>"
        )

    def show_mention(self, mention_id: int) -> None:
        try:
            mention = self._inbox.mention(mention_id)
        except KeyError:
            self.show_nothing()
            return
        thread = self._inbox.thread(mention_id)
        history = self._inbox.author_history(mention.author.id)
        first_seen = self._inbox.author_first_seen(mention.author.id) or mention.created_at
        self._browser.setHtml(_render(mention, thread, history, first_seen))
        self.reply_box.show_mention(mention_id, self._drafts.get(mention_id))
        self.mention_was_shown.emit(mention_id)
        if self._inbox.parent_is_missing(mention):
            self.thread_is_missing.emit(mention_id)

    def add_below_reply_box(self, widget: QWidget) -> None:
        layout = self.layout()
        assert layout is not None
        layout.addWidget(widget)

    def plain_text(self) -> str:
        return self._browser.toPlainText()

    def _open_link(self, url: QUrl) -> None:
        if url.scheme() == _INTERNAL_SCHEME:
            self.mention_was_requested.emit(int(url.path().rsplit("/", 1)[-1]))
        elif url.scheme() in ("http", "https", "mailto"):
            QDesktopServices.openUrl(url)


def _render(
    mention: Mention, thread: list[InboxRow], history: list[InboxRow], first_seen: datetime
) -> str:
    now = utc_now()
    author = mention.author
    who = html.escape(one_line(author.display_name or author.handle, 80))
    handle = html.escape(one_line(author.handle, 80))
    facts = [
        mention.network.value.capitalize(),
        f"to @{html.escape(mention.account_handle)}",
        _ago(mention.created_at, now),
        mention.kind.value,
        mention.language or "language unknown",
        mention.status.value,
    ]
    parts = [f"<h3>{who} <span style='color:gray'>@{handle}</span></h3>"]
    parts.append(f"<p style='color:gray'>{' · '.join(facts)}</p>")
    if mention.tags:
        parts.append("<p>" + " ".join(f"<b>#{html.escape(t)}</b>" for t in mention.tags) + "</p>")
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

    recent = [row for row in history if now - row.created_at <= timedelta(days=30)]
    parts.append(f"<h4>From {who}</h4>")
    parts.append(
        f"<p>{len(recent)} mention{'s' if len(recent) != 1 else ''} in the last 30 days"
        f" · first wrote {_ago(first_seen, now)}</p>"
    )
    if len(recent) >= 3:
        parts.append(
            "<p><b>Writes often:</b> make sure every one of their posts gets an answer.</p>"
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
