"""The guardrails' findings under the composer: one line each, blocking ones first, with the fix.

A rich-text label rather than a list view: a handful of lines that wrap, as tall as they need.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from app.compose.guardrails import Finding

_BLOCKS = "#b00020"
_WARNS = "#8a5a00"


class GuardrailList(QLabel):
    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName("Guardrails")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setStyleSheet("QLabel { border: 1px solid palette(mid); padding: 3px; }")
        self.findings: list[Finding] = []
        self._lines: list[str] = []
        self.hide()

    def show_findings(self, findings: Sequence[Finding]) -> None:
        self.findings = list(findings)
        self._lines = []
        parts = []
        for finding in findings:
            mark = "⛔ " if finding.blocking else "⚠ "
            fix = f" → {finding.fix}" if finding.fix else ""
            line = f"{mark}{finding.message}{fix}"
            self._lines.append(line)
            colour = _BLOCKS if finding.blocking else _WARNS
            parts.append(
                f"<div style='color:{colour}'>{mark}<b>{html.escape(finding.message)}</b>"
                f"{html.escape(fix)}</div>"
            )
        self.setText("".join(parts))
        self.setVisible(bool(findings))

    def lines(self) -> list[str]:
        return list(self._lines)
