"""The filter bar: one menu per facet, each writing its qualifier into the search box.

The search box's text is the one definition of what the list shows (a saved view is that
text), so picking "Bluesky" here writes `network:bluesky` there, and typing a qualifier
there moves the menu here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app.inbox.search import ParsedQuery

from ui.inbox.model import NEW_ROW_LEGEND

_ANY = ""


class FilterBar(QWidget):
    qualifier_was_chosen = Signal(str, str)  # name, value ("" = any)
    save_was_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combos: dict[str, QComboBox] = {}
        layout = QGridLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setHorizontalSpacing(6)
        layout.setVerticalSpacing(2)
        facets: list[tuple[str, str, Sequence[tuple[str, str]]]] = [
            ("network", "Any network", [("Mastodon", "mastodon"), ("Bluesky", "bluesky")]),
            ("account", "Any account", []),
            (
                "kind",
                "Any kind",
                [("Mention", "mention"), ("Reply", "reply"), ("Quote", "quote"), ("DM", "dm")],
            ),
            (
                "status",
                "Any status",
                [("New", "new"), ("Open", "open"), ("Pending", "pending"), ("Done", "done")],
            ),
            ("lang", "Any language", []),
            ("tag", "Any tag", []),
            ("assignee", "Anyone", []),
            ("after", "Any time", []),  # filled relative to today when shown
            (
                "waiting",
                "Waiting: any",
                [
                    ("Waiting > 1 h", "1h"),
                    ("Waiting > 4 h", "4h"),
                    ("Waiting > 1 d", "1d"),
                    ("Waiting > 3 d", "3d"),
                    ("Waiting > 1 wk", "1w"),
                ],
            ),
        ]
        for position, (name, any_label, choices) in enumerate(facets):
            combo = QComboBox()
            combo.setAccessibleName(f"Filter by {name}")
            combo.setToolTip(f"Writes {name}: into the search box")
            # Wide enough for the "any" label; long values (accounts) elide, the popup shows all.
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(max(len(any_label), 10))
            combo.addItem(any_label, _ANY)
            for label, value in choices:
                combo.addItem(label, value)
            combo.activated.connect(
                lambda _index, n=name, c=combo: self.qualifier_was_chosen.emit(n, c.currentData())
            )
            self.combos[name] = combo
            layout.addWidget(combo, position // 5, position % 5)
        self.set_dates(date.today())
        self.save_button = QPushButton("Save view…")
        self.save_button.setAccessibleName("Save this search as a view")
        self.save_button.clicked.connect(self.save_was_requested)
        layout.addWidget(self.save_button, 1, 4)
        legend = QLabel("<b>Bold</b>: New, not triaged yet")
        legend.setToolTip(NEW_ROW_LEGEND)
        layout.addWidget(legend, 0, 5, 2, 1)
        layout.setColumnStretch(5, 1)
        self.legend = legend

    def set_dates(self, today: date) -> None:
        combo = self.combos["after"]
        del_from = combo.count()
        for _ in range(1, del_from):
            combo.removeItem(1)
        for label, days in (("Today", 0), ("Last 7 days", 6), ("Last 30 days", 29)):
            combo.addItem(label, (today - timedelta(days=days)).isoformat())

    def set_choices(self, name: str, values: Sequence[str]) -> None:
        """Offer these values (accounts, languages, tags, assignees), keeping the current one."""
        combo = self.combos[name]
        current = combo.currentData()
        while combo.count() > 1:
            combo.removeItem(1)
        for value in values:
            combo.addItem(value, value)
        self._select(combo, current)

    def add_choices(self, name: str, values: Iterable[str]) -> None:
        combo = self.combos[name]
        for value in sorted(set(values)):
            if combo.findData(value) < 0:
                combo.addItem(value, value)

    def show_query(self, query: ParsedQuery) -> None:
        """Move each menu to what the search box says now."""
        shown = {
            "network": _single(query.networks),
            "account": _single(query.accounts),
            "kind": _single({"direct": "dm"}.get(k, k) for k in query.kinds),
            "status": _single(query.statuses),
            "lang": _single(query.languages),
            "tag": _single(query.tags),
            "assignee": _single(query.assignees),
            "after": query.after.isoformat() if query.after else _ANY,
            "waiting": _ANY if query.waiting is None else _duration_value(query.waiting),
        }
        for name, value in shown.items():
            self._select(self.combos[name], value)

    def _select(self, combo: QComboBox, value: object) -> None:
        found = combo.findData(value)
        if found < 0 and isinstance(value, str) and value:
            combo.addItem(value, value)  # typed by hand: show it rather than lie with "any"
            found = combo.count() - 1
        combo.setCurrentIndex(max(found, 0))


def _single(values: object) -> str:
    chosen = sorted(values)  # type: ignore[call-overload]
    return chosen[0] if len(chosen) == 1 else _ANY


def _duration_value(waiting: timedelta) -> str:
    seconds = int(waiting.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds // 60}m"


class SaveViewDialog(QDialog):
    """Name a search and choose whether new mentions in it make a desktop notice."""

    def __init__(
        self, query: str, save: Callable[[str, str, bool], object], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._save = save
        self.setWindowTitle("Save view")
        self.name_box = QLineEdit()
        self.name_box.setAccessibleName("View name")
        self.query_box = QLineEdit(query)
        self.query_box.setAccessibleName("View query")
        self.notify_box = QCheckBox("Notify me of new mentions in this view")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Name", self.name_box)
        form.addRow("Search", self.query_box)
        form.addRow(self.notify_box)
        form.addRow(self.error)
        form.addRow(buttons)

    def accept(self) -> None:
        try:
            self._save(self.name_box.text(), self.query_box.text(), self.notify_box.isChecked())
        except ValueError as error:
            self.error.setText(str(error))  # the dialog stays open: nothing typed is lost
            return
        super().accept()
