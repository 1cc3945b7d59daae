"""The filter bar: a menu per qualifier, each writing its qualifier into the search box.

The search box's text is the one definition of what the list shows (a saved view is that
text), so picking "Bluesky" here writes `network:bluesky` there, and typing a qualifier
there moves the menu here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date

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

from app.inbox.qualifiers import QUALIFIERS
from app.inbox.search import ParsedQuery

from ui.inbox.model import NEW_ROW_LEGEND

_ANY = ""


class FilterBar(QWidget):
    """A menu for each qualifier that has one (`app.inbox.qualifiers`), in the registry's
    order, in two rows; beside them the bold-row legend above "Save view…"."""

    qualifier_was_chosen = Signal(str, str)  # name, value ("" = any)
    save_was_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combos: dict[str, QComboBox] = {}
        self._menus = {q.name: (q, q.menu) for q in QUALIFIERS if q.menu is not None}
        layout = QGridLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setHorizontalSpacing(6)
        layout.setVerticalSpacing(2)
        columns = (len(self._menus) + 1) // 2
        for position, (name, (qualifier, menu)) in enumerate(self._menus.items()):
            combo = QComboBox()
            combo.setAccessibleName(f"Filter by {name}")
            combo.setToolTip(
                f"{qualifier.summary.capitalize()}: writes {name}: into the search box"
            )
            # Wide enough for the "any" label; long values (accounts) elide, the popup shows all.
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(max(len(menu.any_label), 10))
            combo.addItem(menu.any_label, _ANY)
            for choice in menu.choices:
                combo.addItem(choice.label, choice.value)
            combo.activated.connect(
                lambda _index, n=name, c=combo: self.qualifier_was_chosen.emit(n, c.currentData())
            )
            self.combos[name] = combo
            layout.addWidget(combo, position // columns, position % columns)
        self.set_dates(date.today())
        self.save_button = QPushButton("Save view…")
        self.save_button.setAccessibleName("Save this search as a view")
        self.save_button.clicked.connect(self.save_was_requested)
        layout.addWidget(self.save_button, 1, columns, Qt.AlignmentFlag.AlignLeft)
        legend = QLabel("<b>Bold</b>: New, not triaged yet")
        legend.setToolTip(NEW_ROW_LEGEND)
        layout.addWidget(legend, 0, columns)
        layout.setColumnStretch(columns, 1)
        self.legend = legend

    def set_dates(self, today: date) -> None:
        """Menus of days relative to today ("Last 7 days") start from this day."""
        for name, (_qualifier, menu) in self._menus.items():
            if menu.dated is not None:
                self._replace_choices(name, [(c.label, c.value) for c in menu.dated(today)])

    def set_choices(self, name: str, values: Sequence[str]) -> None:
        """Offer these values (accounts, languages, tags, assignees), keeping the current one."""
        combo = self.combos[name]
        current = combo.currentData()
        self._replace_choices(name, [(value, value) for value in values])
        self._select(combo, current)

    def _replace_choices(self, name: str, choices: Sequence[tuple[str, str]]) -> None:
        combo = self.combos[name]
        fixed = 1 + len(self._menus[name][1].choices)  # "any" and the menu's own choices
        while combo.count() > fixed:
            combo.removeItem(fixed)
        for label, value in choices:
            combo.addItem(label, value)

    def add_choices(self, name: str, values: Iterable[str]) -> None:
        combo = self.combos[name]
        for value in sorted(set(values)):
            if combo.findData(value) < 0:
                combo.addItem(value, value)

    def show_query(self, query: ParsedQuery) -> None:
        """Move each menu to what the search box says now."""
        for name, (qualifier, _menu) in self._menus.items():
            values = query.values(name)
            shown = list(dict.fromkeys(qualifier.shown(value) for value in values))
            if qualifier.last_wins and values:
                value = qualifier.shown(values[-1])
            else:
                value = shown[0] if len(shown) == 1 else _ANY  # several: the menu says "any"
            self._select(self.combos[name], value)

    def _select(self, combo: QComboBox, value: object) -> None:
        found = combo.findData(value)
        if found < 0 and isinstance(value, str) and value:
            combo.addItem(value, value)  # typed by hand: show it rather than lie with "any"
            found = combo.count() - 1
        combo.setCurrentIndex(max(found, 0))


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
