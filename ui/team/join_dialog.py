"""File → Join a team…: the team's server, its name, your user and password (to the keyring)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.bootstrap import Workspace
from app.changes import Changes
from app.team.errors import TeamError

from ui.tasks import Lane, Tasks


class JoinTeamDialog(QDialog):
    """Checks the credentials on the server (off the GUI thread) before anything is kept."""

    team_was_joined = Signal(object)  # the Changes the team's state made here

    def __init__(
        self, open_workspace: Callable[[], Workspace], tasks: Tasks, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Join a team")
        self._open_workspace = open_workspace
        self._tasks = tasks
        self.server = QLineEdit()
        self.server.setPlaceholderText("nats://team.example:4222 (tls://… encrypts)")
        self.team = QLineEdit()
        self.team.setPlaceholderText("e.g. fjellform-care")
        self.user = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.problem = QLabel()
        self.problem.setObjectName("joinProblem")
        self.problem.setTextFormat(Qt.TextFormat.PlainText)  # servers' words, never markup
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b00020")
        self.problem.hide()
        form = QFormLayout()
        form.addRow("Team server:", self.server)
        form.addRow("Team name:", self.team)
        form.addRow("Your user:", self.user)
        form.addRow("Password:", self.password)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Join")
        self.buttons.accepted.connect(self.join)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                "Your team shares triage, notes, the snippet library and reply claims "
                "through its own server. The password is kept in the system keyring."
            )
        )
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

    def join(self) -> None:
        server, team, user = self.server.text(), self.team.text(), self.user.text()
        password = self.password.text()
        if not (server.strip() and team.strip() and user.strip() and password):
            self._say("Fill in all four: the server, the team, your user and your password.")
            return
        self.buttons.setEnabled(False)
        self._say("Checking with the team's server…", problem=False)

        def work() -> Changes:
            workspace = self._open_workspace()
            try:
                return workspace.team.join(server, team, user, password).changes
            finally:
                workspace.close()

        self._tasks.run(
            work, on_done=self._joined, on_error=self._failed, owner=self, lane=Lane.NETWORK
        )

    def _joined(self, changes: Changes) -> None:
        self.team_was_joined.emit(changes)
        self.accept()

    def _failed(self, error: Exception) -> None:
        self.buttons.setEnabled(True)
        if isinstance(error, TeamError):
            self._say(str(error))
        else:
            self._say(f"Could not join: {type(error).__name__}: {error}")

    def _say(self, text: str, *, problem: bool = True) -> None:
        self.problem.setStyleSheet("color: #b00020" if problem else "")
        self.problem.setText(text)
        self.problem.show()
