"""Inbox paging in the real widgets: one screen fetched and painted, and the jump to the end.

Runs Heedful's InboxPanel (model, table, delegate-free rendering as the app does it) on
the store, offscreen, in this process; each paint is forced with `repaint()` so the time
includes drawing every visible cell. The baseline is the same screen with none of Heedful's
code: plain sqlite3 fetching the same rows (the same columns, joined the same way) into a
QStandardItemModel, painted by a bare QTableView of the same size.

"Jump to the end" is what Ctrl+End or dragging the scrollbar to the bottom costs: the model
pages in through `fetchMore` until the list is complete, then the last screen is painted.
It stops at a time limit and projects the rest from the pages loaded so far (said so in the
table), since on a large store it can take far longer than a benchmark should.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from PySide6.QtCore import QModelIndex
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QTableView

from storage.mentions import MentionRepository
from storage.store import open_store

from app.inbox.service import InboxService, InboxView, inbox_filter

from ui.inbox.panel import InboxPanel

from benchmarks.report import Measure

SCREEN_ROWS = 40
_RAW_SCREEN = """
    SELECT m.id, ac.network, ac.handle, au.handle, au.display_name, m.kind,
           substr(m.text, 1, 280), m.language, m.created_at, m.status, m.assignee, m.is_own
    FROM mentions AS m
    JOIN accounts AS ac ON ac.id = m.account_id
    JOIN authors AS au ON au.id = m.author_id
    WHERE m.is_own = 0 AND m.is_context = 0
    ORDER BY m.created_at {order}, m.id {order}
    LIMIT ?
"""


def _ms(began: float) -> float:
    return (time.perf_counter() - began) * 1000


class BareScreen:
    """sqlite3 rows in a QStandardItemModel, painted by a plain QTableView."""

    def __init__(self, database: Path) -> None:
        self.raw = sqlite3.connect(database)
        self.model = QStandardItemModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.resize(1100, 660)
        self.table.show()

    def show(self, order: str) -> float:
        began = time.perf_counter()
        rows = self.raw.execute(_RAW_SCREEN.format(order=order), [SCREEN_ROWS]).fetchall()
        self.model.clear()
        for row in rows:
            self.model.appendRow([QStandardItem(str(value)) for value in row[1:8]])
        self.table.viewport().repaint()
        return _ms(began)

    def close(self) -> None:
        self.table.close()
        self.table.deleteLater()
        self.raw.close()


def run(database: Path, mentions: int, *, jump_limit_s: float) -> list[Measure]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    application = QApplication.instance() or QApplication([])
    store = open_store(database)
    bare = BareScreen(database)
    label = f"{mentions:,} mentions"
    try:
        panel = InboxPanel(InboxService(MentionRepository(store)))
        panel.resize(1100, 700)
        panel.show()
        application.processEvents()
        model, table = panel.model, panel.table
        view = inbox_filter(InboxView.ALL)

        # Warm both the same way (fonts, page cache), then time one screen each.
        model.set_filter(view)
        table.viewport().repaint()
        bare.show("DESC")
        began = time.perf_counter()
        model.set_filter(view)
        table.viewport().repaint()
        screen_ms = _ms(began)
        raw_screen_ms = bare.show("DESC")

        # The jump to the end of the list.
        pages = 0
        began = time.perf_counter()
        deadline = began + jump_limit_s
        while model.canFetchMore(QModelIndex()) and time.perf_counter() < deadline:
            model.fetchMore(QModelIndex())
            pages += 1
        complete = not model.canFetchMore(QModelIndex())
        if complete:
            table.scrollToBottom()
            table.viewport().repaint()
        jump_ms = _ms(began)
        loaded = model.rowCount()
        notes = []
        if not complete:
            jump_ms = jump_ms * mentions / max(loaded, 1)
            notes.append(
                f"projected: {loaded:,} rows ({pages} pages) loaded in {jump_limit_s:.0f} s"
            )
        raw_jump_ms = bare.show("ASC")
        panel.close()
        panel.deleteLater()
    finally:
        bare.close()
        store.close()
    return [
        Measure(
            "Paging",
            f"first screen fetched + painted, {label}",
            screen_ms,
            "ms",
            raw_screen_ms,
            "sqlite3 + bare QTableView",
        ),
        Measure(
            "Paging",
            f"jump to the end{' (projected)' if notes else ''}, {label}",
            jump_ms,
            "ms",
            raw_jump_ms,
            "sqlite3 + bare QTableView, last screen",
            notes=notes,
        ),
    ]
