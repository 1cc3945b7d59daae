"""Asking for a snippet's fill-ins ({?order number}) before a reply is sent."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget


class FillInDialog(QDialog):
    def __init__(self, prompts: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Fill in before sending")
        self.fields: dict[str, QLineEdit] = {}
        layout = QFormLayout(self)
        layout.addRow(QLabel("The reply asks for:"))
        for prompt in prompts:
            field = QLineEdit()
            field.setAccessibleName(prompt)
            field.textChanged.connect(self._enable)
            self.fields[prompt] = field
            layout.addRow(prompt.capitalize(), field)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addRow(self.buttons)
        self._enable()

    def _enable(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(all(field.text().strip() for field in self.fields.values()))

    def answers(self) -> dict[str, str]:
        return {prompt: field.text().strip() for prompt, field in self.fields.items()}
