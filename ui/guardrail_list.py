"""The guardrails' findings under the composer: one line each, blocking ones first, with the fix."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from app.guardrails import Finding

_BLOCKS = QColor("#b00020")
_WARNS = QColor("#8a5a00")


class GuardrailList(QListWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName("Guardrails")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes from the editor to Send
        self.setWordWrap(True)
        self.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.findings: list[Finding] = []
        self.hide()

    def show_findings(self, findings: Sequence[Finding]) -> None:
        self.findings = list(findings)
        self.clear()
        for finding in findings:
            mark = "⛔ " if finding.blocking else "⚠ "
            fix = f" → {finding.fix}" if finding.fix else ""
            item = QListWidgetItem(f"{mark}{finding.message}{fix}")
            item.setForeground(_BLOCKS if finding.blocking else _WARNS)
            item.setToolTip(f"{finding.message}\n{finding.fix}".strip())
            item.setData(Qt.ItemDataRole.UserRole, finding.kind)
            self.addItem(item)
        # As tall as its lines (they wrap), up to about nine; the editor keeps its room.
        self.setFixedHeight(
            min(
                self.fontMetrics().height() * 9,
                sum(self.sizeHintForRow(row) for row in range(self.count())) + 6,
            )
        )
        self.setVisible(bool(findings))

    def lines(self) -> list[str]:
        return [self.item(row).text() for row in range(self.count())]
