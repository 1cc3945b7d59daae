"""The snooze dialog: quick choices on number keys (1 h, 3 h, tomorrow, next week) or a time."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from storage.records import utc_now

from app.inbox.triage import snooze_choices


class SnoozeDialog(QDialog):
    snooze_was_chosen = Signal(object)  # an aware datetime

    def __init__(self, parent: QWidget | None, count: int, now: datetime | None = None) -> None:
        super().__init__(parent)
        local_now = (now or utc_now()).astimezone()
        what = "this mention" if count == 1 else f"{count} mentions"
        self.setWindowTitle("Snooze")
        self.setAccessibleName("Snooze")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Hide {what} from the open views until:"))
        self.choice_buttons: list[QPushButton] = []
        for number, choice in enumerate(snooze_choices(local_now), start=1):
            button = QPushButton(f"&{number}  {choice.label}   ({choice.until:%a %d %b %H:%M})")
            button.setAccessibleName(f"Snooze {choice.label}")
            button.clicked.connect(lambda _checked=False, u=choice.until: self._choose(u))
            layout.addWidget(button)
            self.choice_buttons.append(button)
        self.custom_time = QDateTimeEdit(QDateTime.currentDateTime().addSecs(2 * 3600))
        self.custom_time.setCalendarPopup(True)
        self.custom_time.setDisplayFormat("ddd d MMM yyyy HH:mm")
        self.custom_time.setAccessibleName("Custom snooze time")
        self.custom_button = QPushButton("&Snooze until this time")
        self.custom_button.setAccessibleName("Snooze until the custom time")
        self.custom_button.clicked.connect(self._choose_custom)
        label = QLabel("&Custom:")
        label.setBuddy(self.custom_time)
        row = QHBoxLayout()
        row.addWidget(label)
        row.addWidget(self.custom_time, 1)
        row.addWidget(self.custom_button)
        layout.addLayout(row)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        layout.addWidget(cancel, 0, Qt.AlignmentFlag.AlignRight)
        # Number keys pick a choice; they must not be typed into the time field.
        self.choice_buttons[0].setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # 1-4 pick a quick choice (the time field, when it has focus, takes digits itself).
        number = event.key() - Qt.Key.Key_1.value + 1
        if event.modifiers() in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.KeypadModifier,
        ) and 1 <= number <= len(self.choice_buttons):
            self.choice_buttons[number - 1].click()
            return
        super().keyPressEvent(event)

    def _choose_custom(self) -> None:
        chosen = self.custom_time.dateTime().toPython()
        if isinstance(chosen, datetime):
            self._choose(chosen.astimezone())  # the edit shows local time

    def _choose(self, until: datetime) -> None:
        self.snooze_was_chosen.emit(until)
        self.accept()
