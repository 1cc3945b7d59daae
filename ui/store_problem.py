"""The dialog shown when the database is damaged: restore from the automatic backup of a
given day, keep the damaged file aside and start empty, or quit."""

from __future__ import annotations

from enum import Enum

from PySide6.QtWidgets import QMessageBox, QWidget

from app.recovery import RecoveryOffer


class Choice(Enum):
    RESTORE = "restore"
    START_EMPTY = "start_empty"
    QUIT = "quit"


class StoreProblemDialog(QMessageBox):
    def __init__(self, offer: RecoveryOffer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Critical)
        self.setWindowTitle("Heedful's data is damaged")
        self.setText(offer.message)
        self.setInformativeText(
            "Starting empty keeps the damaged file beside the new one "
            f"({offer.database.parent}); you then add your accounts again."
        )
        self._buttons: dict[object, Choice] = {}
        if offer.backup is not None:
            restore = self.addButton(
                f"Restore the backup of {offer.backup.day:%d %b %Y}",
                QMessageBox.ButtonRole.AcceptRole,
            )
            self._buttons[restore] = Choice.RESTORE
            self.setDefaultButton(restore)
        empty = self.addButton("Keep it aside and start empty", QMessageBox.ButtonRole.ResetRole)
        self._buttons[empty] = Choice.START_EMPTY
        quit_button = self.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
        self._buttons[quit_button] = Choice.QUIT
        self.setEscapeButton(quit_button)

    def choice(self) -> Choice:
        return self._buttons.get(self.clickedButton(), Choice.QUIT)


def ask(offer: RecoveryOffer) -> Choice:
    dialog = StoreProblemDialog(offer)
    dialog.exec()
    return dialog.choice()
