"""Reply → Brand voice…: the workspace's brand profile, edited in the window.

What is saved takes effect in the composer's guardrails at once (a change set with
`brand_profile`, through the window's dispatcher; `profile_did_change` for the dialog alone).
A setting that cannot be saved (a bad order pattern, a preferred term without its arrow) is
named under the form; the dialog stays open with everything as it was typed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.changes import Changes
from app.compose.brand import (
    BrandForm,
    BrandProfile,
    BrandProfileRefused,
    BrandService,
    EmojiPolicy,
    Formality,
)

from ui.changes import ChangeDispatcher
from ui.write_guard import WriteGuard

_FORMALITY = {
    Formality.CASUAL: "Casual (du, tú, tu)",
    Formality.FORMAL: "Formal (Sie, usted, vous)",
}
_EMOJI = {
    EmojiPolicy.NONE: "None — never in replies",
    EmojiPolicy.SPARING: "Sparing — one or two",
    EmojiPolicy.FREE: "Free",
}


def _lines_editor(
    name: str, placeholder: str, lines: int, most: int | None = None
) -> QPlainTextEdit:
    """A list edited one item per line, `lines` high (at most `most` lines, if given)."""
    editor = QPlainTextEdit()
    editor.setAccessibleName(name)
    editor.setPlaceholderText(placeholder)
    editor.setTabChangesFocus(True)
    editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    line = editor.fontMetrics().lineSpacing()
    editor.setMinimumHeight(line * lines + 12)
    if most is not None:
        editor.setMaximumHeight(line * most + 12)
    return editor


class BrandDialog(QDialog):
    profile_did_change = Signal(object)  # the BrandProfile just saved

    def __init__(
        self,
        brand: BrandService,
        parent: QWidget | None = None,
        *,
        changes: ChangeDispatcher | None = None,
        guard: WriteGuard | None = None,
    ) -> None:
        super().__init__(parent)
        self._brand = brand
        self._changes = changes
        self._guard = guard or WriteGuard(self)
        self.setWindowTitle("Brand voice")
        self.name = QLineEdit()
        self.name.setAccessibleName("Brand name")
        self.sign_off = QLineEdit()
        self.sign_off.setAccessibleName("Sign-off")
        self.sign_off.setPlaceholderText("e.g. – {agent.name}")
        self.formality = QComboBox()
        self.formality.setAccessibleName("Formality")
        for formality, label in _FORMALITY.items():
            self.formality.addItem(label, formality.value)
        self.formality_by_language = _lines_editor(
            "Formality per language", "fr: formal\nde: casual", 2, 3
        )
        self.emoji = QComboBox()
        self.emoji.setAccessibleName("Emoji")
        for policy, label in _EMOJI.items():
            self.emoji.addItem(label, policy.value)
        self.banned_phrases = _lines_editor(
            "Banned phrases", "One phrase per line, e.g. your call is important to us", 6
        )
        self.preferred_terms = _lines_editor(
            "Preferred terms", "What to avoid → what to say, e.g. customer service → our team", 3, 5
        )
        self.order_patterns = _lines_editor(
            "Order and ticket number patterns",
            r"One regular expression per line, e.g. FF-\d{6}",
            3,
            5,
        )
        self.repetition_threshold = QSpinBox()
        self.repetition_threshold.setAccessibleName("Repetition threshold")
        self.repetition_threshold.setRange(1, 1000)
        self.repetition_threshold.setSuffix(" other customers a day")
        self.problems = QLabel()
        self.problems.setAccessibleName("Problems")
        self.problems.setWordWrap(True)
        self.problems.setTextFormat(Qt.TextFormat.PlainText)  # patterns are full of "<"
        self.problems.setStyleSheet("color: #b00020")
        self.problems.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.discard_question: QMessageBox | None = None

        form = QFormLayout()
        form.addRow("Brand &name", self.name)
        form.addRow("&Sign-off", self.sign_off)
        form.addRow("&Formality", self.formality)
        form.addRow("Per &language", self.formality_by_language)
        form.addRow("&Emoji", self.emoji)
        form.addRow("&Banned phrases\n(one per line)", self.banned_phrases)
        form.addRow("&Preferred terms\n(avoid → say)", self.preferred_terms)
        form.addRow("&Order/ticket\npatterns (regex)", self.order_patterns)
        form.addRow("&Same text to at most", self.repetition_threshold)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problems)
        layout.addWidget(self.buttons)
        self.resize(620, 640)
        self.show_profile(brand.profile())

    def show_profile(self, profile: BrandProfile) -> None:
        form = self._shown = BrandForm.of(profile)
        self.name.setText(form.name)
        self.sign_off.setText(form.sign_off)
        self.formality.setCurrentIndex(self.formality.findData(form.formality))
        self.formality_by_language.setPlainText(form.formality_by_language)
        self.emoji.setCurrentIndex(self.emoji.findData(form.emoji))
        self.banned_phrases.setPlainText(form.banned_phrases)
        self.preferred_terms.setPlainText(form.preferred_terms)
        self.order_patterns.setPlainText(form.order_patterns)
        self.repetition_threshold.setValue(form.repetition_threshold)

    def form(self) -> BrandForm:
        return BrandForm(
            name=self.name.text(),
            sign_off=self.sign_off.text(),
            formality=str(self.formality.currentData()),
            formality_by_language=self.formality_by_language.toPlainText(),
            emoji=str(self.emoji.currentData()),
            banned_phrases=self.banned_phrases.toPlainText(),
            preferred_terms=self.preferred_terms.toPlainText(),
            order_patterns=self.order_patterns.toPlainText(),
            repetition_threshold=self.repetition_threshold.value(),
        )

    def save(self) -> None:
        """Save and close, or name what is wrong and stay open with everything as typed."""
        form = self.form()
        try:
            attempt = self._guard.attempt("The brand voice", lambda: self._brand.save_form(form))
        except BrandProfileRefused as refused:
            self._show_problems([problem.message for problem in refused.problems])
            first = getattr(self, refused.problems[0].setting, None)
            if isinstance(first, QWidget):
                first.setFocus()
            return
        if attempt.value is None:
            self._show_problems([attempt.message("The brand voice")])
            return
        self.problems.hide()
        self.profile_did_change.emit(attempt.value)
        if self._changes is not None:
            self._changes.operation_did_execute(
                Changes.of(brand_profile=True, description="Brand voice saved"), self
            )
        self.accept()

    def reject(self) -> None:
        """Cancel, Esc or the close button: edits are only dropped when the person says so."""
        if self.form() == self._shown:
            super().reject()
            return
        question = QMessageBox(
            QMessageBox.Icon.Question,
            "Brand voice",
            "Discard your changes to the brand voice?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            self,
        )
        question.button(QMessageBox.StandardButton.Cancel).setText("Keep editing")
        question.setDefaultButton(QMessageBox.StandardButton.Cancel)
        self.discard_question = question

        def answered(button: int) -> None:
            self.discard_question = None
            if button == QMessageBox.StandardButton.Discard:
                super(BrandDialog, self).reject()

        question.finished.connect(answered)
        question.open()

    def _show_problems(self, messages: list[str]) -> None:
        self.problems.setText("\n".join(messages))
        self.problems.show()
