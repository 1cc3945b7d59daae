"""The snippet manager: create, edit (previewed on the selected mention), duplicate, delete with
undo, import and export packs; in a team, keep both or merge a save a teammate's overtook."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from storage.records import Mention, Network
from storage.snippets import DuplicateShortcut, NewSnippet, Snippet, SnippetVariant

from app.changes import Changes
from app.compose.placeholders import render
from app.compose.replies import ComposerService
from app.compose.snippets import PackError, SnippetEdit, search

from ui.changes import ChangeDispatcher
from ui.compose.snippet_palette import SnippetListModel
from ui.write_guard import WriteGuard

if TYPE_CHECKING:
    from app.team.library import SnippetMerge

T = TypeVar("T")

_NEW_VARIANT = "＋ New variant…"


class SnippetManager(QDialog):
    snippets_did_change = Signal()

    def __init__(
        self,
        composer: ComposerService,
        mention_id: int | None,
        parent: QWidget | None = None,
        *,
        changes: ChangeDispatcher | None = None,
        guard: WriteGuard | None = None,
    ) -> None:
        super().__init__(parent)
        self._changes = changes
        self._guard = guard or WriteGuard(self)
        self.setWindowTitle("Snippets")
        self.resize(980, 620)
        self._composer = composer
        self._service = composer.snippets
        self._mention: Mention | None = None
        if mention_id is not None:
            try:
                self._mention = composer.mention(mention_id)
            except KeyError:
                self._mention = None
        self._current: Snippet | None = None
        self._variants: list[SnippetVariant] = []  # being edited; index 0 is the base body
        self._variant_index = 0
        self._deleted: list[Snippet] = []

        self.search = QLineEdit()
        self.search.setPlaceholderText("Find…")
        self.search.textChanged.connect(self.reload)
        self.model = SnippetListModel()
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.selectionModel().currentChanged.connect(lambda now, _old: self._select(now.row()))
        new = QPushButton("New")
        new.clicked.connect(self.new_snippet)
        self.duplicate_button = QPushButton("Duplicate")
        self.duplicate_button.clicked.connect(self.duplicate)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self.delete)
        self.undo_button = QPushButton("Undo delete")
        self.undo_button.setEnabled(False)
        self.undo_button.clicked.connect(self.undo_delete)
        importing = QPushButton("Import…")
        importing.clicked.connect(self._ask_import)
        exporting = QPushButton("Export…")
        exporting.clicked.connect(self._ask_export)

        self.title = QLineEdit()
        self.shortcut = QLineEdit()
        self.shortcut.setPlaceholderText("e.g. late (type /late + Tab in a reply)")
        self.folder = QLineEdit()
        self.tags = QLineEdit()
        self.tags.setPlaceholderText("comma separated")
        self.shared = QCheckBox("Shared with the team (goes into exported packs)")
        self.variant = QComboBox()
        self.variant.activated.connect(self._variant_chosen)
        self.language = QLineEdit()
        self.language.setPlaceholderText("any (e.g. en, nb, de)")
        self.network = QComboBox()
        self.network.addItem("any network", "")
        for network in Network:
            self.network.addItem(network.value.capitalize(), network.value)
        self.body = QPlainTextEdit()
        self.body.setPlaceholderText(
            "Hi {author.first_name|there}, … – {agent.name}\n"
            "Fill-ins: {?order number}. Also {author.handle}, {brand.name}, {mention.link}."
        )
        self.body.textChanged.connect(self._preview)
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview.setAccessibleName("Preview")
        self.save_button = QPushButton("Save")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.status = QLabel()
        self.status.setWordWrap(True)
        # A save of ours that a teammate's had overtaken: keep both, merge, or keep theirs.
        self.team_line = QLabel()
        self.team_line.setObjectName("snippetConflicts")
        self.team_line.setTextFormat(Qt.TextFormat.RichText)  # its links; the text escaped
        self.team_line.setWordWrap(True)
        self.team_line.linkActivated.connect(self._team_choice)
        self.team_line.hide()
        self._merging: SnippetMerge | None = None

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(self.search)
        left_layout.addWidget(self.list, 1)
        row = QHBoxLayout()
        for button in (new, self.duplicate_button, self.delete_button, self.undo_button):
            row.addWidget(button)
        left_layout.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(importing)
        row.addWidget(exporting)
        left_layout.addLayout(row)

        right = QWidget()
        form = QFormLayout(right)
        form.addRow("Title", self.title)
        form.addRow("Shortcut", self.shortcut)
        form.addRow("Folder", self.folder)
        form.addRow("Tags", self.tags)
        form.addRow("", self.shared)
        form.addRow("Version", self.variant)
        where = QHBoxLayout()
        where.addWidget(QLabel("Language"))
        where.addWidget(self.language)
        where.addWidget(QLabel("Network"))
        where.addWidget(self.network)
        form.addRow("", where)
        form.addRow("Text", self.body)
        subject = "the selected mention" if self._mention else "a sample mention"
        form.addRow(f"Preview on {subject}", self.preview)
        form.addRow(self.save_button)
        form.addRow(self.status)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([340, 640])
        layout = QVBoxLayout(self)
        layout.addWidget(self.team_line)
        layout.addWidget(splitter)
        QShortcut(QKeySequence.StandardKey.Save, self, lambda: self.save())
        QShortcut(QKeySequence.StandardKey.Undo, self.list, self.undo_delete)
        self.reload()

    # --- the list -----------------------------------------------------------------------------

    def reload(self, select_id: int | None = None) -> None:
        keep = select_id if select_id is not None else (self._current and self._current.id)
        snippets = search(self._service.all(), self.search.text())
        self.model.set_snippets(snippets)
        self._show_team_conflicts()
        row = next((n for n, s in enumerate(snippets) if s.id == keep), 0 if snippets else -1)
        if row >= 0:
            self.list.setCurrentIndex(self.model.index(row))
            self._select(row)
        else:
            self._show(None)

    def _select(self, row: int) -> None:
        snippet = self.model.snippet(row)
        if snippet is not None and (self._current is None or snippet.id != self._current.id):
            self._show(snippet)

    def _show(self, snippet: Snippet | None) -> None:
        self._current = snippet
        self._merging = None  # another snippet on screen: a merge in the form is left
        self.title.setText(snippet.title if snippet else "")
        self.shortcut.setText((snippet.shortcut or "") if snippet else "")
        self.folder.setText(snippet.folder if snippet else "")
        self.tags.setText(", ".join(snippet.tags) if snippet else "")
        self.shared.setChecked(snippet.is_shared if snippet else False)
        base = SnippetVariant(snippet.body if snippet else "")
        self._variants = [base, *(snippet.variants if snippet else ())]
        self._variant_index = 0
        self._fill_variants()
        self._load_variant(0)
        self.duplicate_button.setEnabled(snippet is not None)
        self.delete_button.setEnabled(snippet is not None)

    # --- variants --------------------------------------------------------------------------

    def _fill_variants(self) -> None:
        self.variant.clear()
        for index, variant in enumerate(self._variants):
            where = " · ".join(p for p in (variant.language, variant.network) if p)
            self.variant.addItem("Base text" if index == 0 else where or "(any)")
        self.variant.addItem(_NEW_VARIANT)
        self.variant.setCurrentIndex(self._variant_index)

    def _keep_variant(self) -> None:
        """Take what is in the form into the variant being edited."""
        if not self._variants:
            return
        body = self.body.toPlainText()
        if self._variant_index == 0:
            self._variants[0] = SnippetVariant(body)
        else:
            self._variants[self._variant_index] = SnippetVariant(
                body, self.language.text().strip().casefold(), str(self.network.currentData())
            )

    def _variant_chosen(self, index: int) -> None:
        self._keep_variant()
        if self.variant.itemText(index) == _NEW_VARIANT:
            language = "nb" if not any(v.language == "nb" for v in self._variants) else ""
            self._variants.append(SnippetVariant(self._variants[0].body, language, ""))
            index = len(self._variants) - 1
        self._variant_index = index
        self._fill_variants()
        self._load_variant(index)

    def _load_variant(self, index: int) -> None:
        variant = self._variants[index] if self._variants else SnippetVariant("")
        is_base = index == 0
        self.language.setEnabled(not is_base)
        self.network.setEnabled(not is_base)
        self.language.setText(variant.language)
        self.network.setCurrentIndex(max(0, self.network.findData(variant.network)))
        self.body.setPlainText(variant.body)

    # --- preview ----------------------------------------------------------------------------

    def _preview(self) -> None:
        body = self.body.toPlainText()
        if self._mention is not None:
            values = self._composer.values(self._mention)
        else:
            values = {"author.first_name": "Kari", "author.handle": "@kari@toot.example",
                      "agent.name": self._composer.agent_name,
                      "brand.name": self._composer.brand.profile().name}  # fmt: skip
        rendered = render(body, values)
        missing = [p for p in rendered.unfilled if not p.startswith("{?")]
        note = ""
        if rendered.prompts:
            note += f"\nAsks before sending: {', '.join(rendered.prompts)}."
        if missing:
            note += f"\nNo value for {', '.join(missing)}: add a fallback, e.g. {{key|text}}."
        self.preview.setText(rendered.text + note)

    # --- actions ------------------------------------------------------------------------------

    def _form(self) -> NewSnippet | str:
        self._keep_variant()
        title = self.title.text().strip()
        if not title:
            return "Give the snippet a title."
        if not self._variants or not self._variants[0].body.strip():
            return "The base text is empty: write the snippet's text first."
        shortcut = self.shortcut.text().strip().lstrip("/") or None
        if shortcut and not all(ch.isalnum() or ch in "-_" for ch in shortcut):
            return "A shortcut is one word: letters, digits, - and _."
        variants = tuple(v for v in self._variants[1:] if v.body.strip())
        return NewSnippet(
            title=title,
            body=self._variants[0].body,
            shortcut=shortcut,
            folder=self.folder.text().strip(),
            tags=tuple(t.strip() for t in self.tags.text().split(",") if t.strip()),
            is_shared=self.shared.isChecked(),
            variants=variants,
        )

    def save(self) -> Snippet | None:
        form = self._form()
        if isinstance(form, str):
            self.status.setText(form)  # nothing typed is lost: the form stays as it is
            return None
        snippet_id = None if self._current is None else self._current.id
        merging, team = self._merging, self._service.team
        try:
            if merging is not None and team is not None:
                edit = self._write("The merge", lambda: team.save_merge(merging, form))
            else:
                edit = self._write("The snippet", lambda: self._service.save(form, snippet_id))
        except DuplicateShortcut as problem:
            self.status.setText(str(problem))
            return None
        if edit is None:
            return None  # the form stays as it is, the problem under it
        self._merging = None
        self._current = edit.snippet
        self._done(edit, select=edit.snippet.id)
        return edit.snippet

    def new_snippet(self) -> None:
        self.list.clearSelection()
        self._show(None)
        self.title.setFocus()

    def duplicate(self) -> Snippet | None:
        current = self._current
        if current is None:
            return None
        edit = self._write("The copy", lambda: self._service.duplicate(current))
        if edit is None:
            return None
        self._done(edit, select=edit.snippet.id)
        return edit.snippet

    def delete(self) -> None:
        current = self._current
        if current is None:
            return
        edit = self._write("Deleting the snippet", lambda: self._service.delete(current.id))
        if edit is None:
            return
        self._deleted.append(edit.snippet)
        self._current = None
        self.undo_button.setEnabled(True)
        self._done(edit)
        self.status.setText(f"{edit.changes.description} Undo puts it back (Ctrl+Z).")

    def undo_delete(self) -> None:
        if not self._deleted:
            return
        deleted = self._deleted[-1]
        edit = self._write("Putting the snippet back", lambda: self._service.restore(deleted))
        if edit is None:
            return
        self._deleted.pop()
        self.undo_button.setEnabled(bool(self._deleted))
        self._done(edit, select=edit.snippet.id)

    def import_path(self, path: Path) -> None:
        try:
            report = self._write("The import", lambda: self._service.import_file(path))
        except PackError as problem:
            self.status.setText(f"Not imported: {problem}")
            return
        if report is None:
            return
        self.reload()
        self._tell(report.changes)
        self.status.setText(report.summary())

    def _write(self, what: str, write: Callable[[], T]) -> T | None:
        """Every write goes through the window's guard: a full disk or a locked database is
        said under the form (which keeps what was typed), never a traceback."""
        attempt = self._guard.attempt(what, write)
        if not attempt.ok:
            self.status.setText(attempt.message(what))
            return None
        return attempt.value

    def _done(self, edit: SnippetEdit, select: int | None = None) -> None:
        self.status.setText(edit.changes.description)
        self.reload(select)
        self._tell(edit.changes)

    def _tell(self, changes: Changes) -> None:
        if self._changes is not None:
            self._changes.operation_did_execute(changes, self)
        self.snippets_did_change.emit()

    # --- the team's library ------------------------------------------------------------------

    def _show_team_conflicts(self) -> None:
        team = self._service.team
        conflicts = [] if team is None else team.conflicts(["snippet"])
        if team is None or not conflicts:
            self.team_line.hide()
            return
        lines = []
        for conflict in conflicts[-3:]:
            choices = (
                f"<a href='both:{conflict.id}'>Keep both</a> · "
                f"<a href='merge:{conflict.id}'>Merge</a> · "
                if conflict.operation == "save"
                else f"<a href='mine:{conflict.id}'>Delete anyway</a> · "
            )
            lines.append(
                f"{html.escape(team.describe(conflict))}. {choices}"
                f"<a href='theirs:{conflict.id}'>Keep theirs</a>"
            )
        self.team_line.setText("<br>".join(lines))
        self.team_line.show()

    def _team_choice(self, link: str) -> None:
        team = self._service.team
        choice, _, number = link.partition(":")
        if team is None or not number.isdigit():
            return
        conflict_id = int(number)
        if choice == "merge":
            merge = self._write("The merge", lambda: team.merge(conflict_id))
            if merge is not None:
                self.load_merge(merge)
            return
        if choice == "both":
            edit = self._write("Keeping both", lambda: team.keep_both(conflict_id))
            if edit is not None:
                self._done(edit, select=edit.snippet.id)
            return
        write = team.apply_mine_anyway if choice == "mine" else team.keep_theirs
        changes = self._write("Your choice", lambda: write(conflict_id))
        if changes is not None:
            self.reload()
            self._tell(changes)

    def load_merge(self, merge: SnippetMerge) -> None:
        """The merged snippet in the form, to check and save (Save writes it for the team)."""
        self.reload(merge.snippet_id)
        if merge.snippet_id is None:  # the team had deleted it: the merge brings it back
            self.new_snippet()
        form = merge.form
        self.title.setText(form.title)
        self.shortcut.setText(form.shortcut or "")
        self.folder.setText(form.folder)
        self.tags.setText(", ".join(form.tags))
        self._variants = [SnippetVariant(form.body), *form.variants]
        self._variant_index = 0
        self._fill_variants()
        self._load_variant(0)
        self._merging = merge
        clashes = "".join(f"\n{c.field}, theirs: “{c.theirs}”" for c in merge.clashes)
        self.status.setText(f"{merge.summary()} Check it and save.{clashes}")

    def export_path(self, path: Path) -> None:
        try:
            path.write_text(self._service.export_text(), encoding="utf-8")
        except OSError as problem:
            self.status.setText(f"Not exported: {problem.strerror} ({path})")
            return
        self.status.setText(f"Exported {self._service.repository.count()} snippets to {path}.")

    def _ask_import(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Import snippets", "", "Snippet packs (*.json);;Spreadsheets (*.csv)"
        )
        if name:
            self.import_path(Path(name))

    def _ask_export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Export snippets", "snippets.json", "Snippet packs (*.json)"
        )
        if name:
            self.export_path(Path(name))
