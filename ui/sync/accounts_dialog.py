"""Adding a Mastodon account: server address, then the browser (or a pasted code)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
)

from storage.records import Account

from app.accounts import BLUESKY_SERVER
from app.bootstrap import Workspace
from app.networks.mastodon.auth import MastodonSignIn

from ui.background import BackgroundJobs


class AddMastodonAccountDialog(QDialog):
    """Every network step runs on a worker thread; the dialog only shows where it is."""

    account_was_added = Signal(object)  # Account
    address_did_open = Signal(str)  # the sign-in address, for tests and for copying

    def __init__(
        self,
        open_workspace: Callable[[], Workspace],
        jobs: BackgroundJobs,
        parent: QDialog | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a Mastodon account")
        # Each worker step opens the workspace on its own connection (never the GUI's).
        self._open_workspace = open_workspace
        self._jobs = jobs
        self._sign_in: MastodonSignIn | None = None
        self._cancel = threading.Event()
        self._job: int | None = None
        # How the sign-in page is shown: the system browser (tests drive the page instead).
        self.open_in_browser: Callable[[str], object] = lambda url: QDesktopServices.openUrl(
            QUrl(url)
        )

        self.server = QLineEdit()
        self.server.setPlaceholderText("mastodon.social")
        self.server.setAccessibleName("Server address")
        self.use_code = QCheckBox("Paste a code instead of returning to this computer")
        self.code = QLineEdit()
        self.code.setPlaceholderText("The code the server shows after you allow access")
        self.code.setEnabled(False)
        self.status = QLabel("Heedful opens your browser; sign in there and allow access.")
        self.status.setWordWrap(True)
        self.status.setOpenExternalLinks(False)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign in")
        self.buttons.accepted.connect(self._next_step)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Server", self.server)
        form.addRow("", self.use_code)
        form.addRow("Code", self.code)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        jobs.job_did_finish.connect(self._job_finished)
        jobs.job_did_fail.connect(self._job_failed)

    def _busy(self, message: str) -> None:
        self.status.setText(message)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        self.server.setEnabled(False)
        self.use_code.setEnabled(False)

    def _ready(self, message: str) -> None:
        self.status.setText(message)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)

    def _next_step(self) -> None:
        if self._sign_in is not None and self.use_code.isChecked():
            code = self.code.text().strip()
            if not code:
                self.status.setText("Paste the code the server showed you.")
                return
            sign_in = self._sign_in
            self._busy("Finishing the sign-in…")
            self._job = self._jobs.submit(lambda: self._finish(sign_in, sign_in.finish(code)))
            return
        address = self.server.text().strip()
        if not address:
            self.status.setText("Enter your server's address, e.g. mastodon.social.")
            return
        out_of_band = self.use_code.isChecked()
        self._busy("Contacting the server…")
        self._job = self._jobs.submit(lambda: self._start(address, out_of_band))

    # --- on a worker thread ----------------------------------------------------------------

    def _start(self, address: str, out_of_band: bool) -> tuple[str, str]:
        workspace = self._open_workspace()
        try:
            sign_in = workspace.account_service.begin_mastodon_sign_in(
                address, out_of_band=out_of_band
            )
        finally:
            workspace.close()
        self._sign_in = sign_in
        return ("opened", sign_in.start())

    def _wait(self, sign_in: MastodonSignIn) -> tuple[str, Account]:
        token = sign_in.wait_for_browser(timeout=600, cancel=(self._cancel, self._jobs.stop))
        return self._finish(sign_in, token)

    def _finish(self, sign_in: MastodonSignIn, token: str) -> tuple[str, Account]:
        workspace = self._open_workspace()
        try:
            return (
                "added",
                workspace.account_service.finish_mastodon_sign_in(sign_in.server, token),
            )
        finally:
            workspace.close()

    # --- back on the GUI thread --------------------------------------------------------------

    def _job_finished(self, job_id: int, result: object) -> None:
        if job_id != self._job or not isinstance(result, tuple):
            return
        step, value = result
        if step == "opened":
            self.address_did_open.emit(value)
            self.open_in_browser(value)
            if self.use_code.isChecked():
                self.code.setEnabled(True)
                self.code.setFocus()
                self._ready(
                    "Allow access in your browser, then paste the code it shows here. "
                    f"<br>The address, if no browser opened: {value}"
                )
            else:
                self.status.setText(
                    "Waiting for you to allow access in your browser… "
                    f"<br>If no browser opened, visit: {value}"
                )
                sign_in = self._sign_in
                assert sign_in is not None
                self._job = self._jobs.submit(lambda: self._wait(sign_in))
        elif step == "added":
            self.account_was_added.emit(value)
            self.accept()

    def _job_failed(self, job_id: int, error: object) -> None:
        if job_id != self._job:
            return
        if self._sign_in is not None:
            self._sign_in.close()
        self._sign_in = None
        self.server.setEnabled(True)
        self.use_code.setEnabled(True)
        self._ready(f"<b>Not signed in:</b> {error}")

    def reject(self) -> None:
        self._cancel.set()
        if self._sign_in is not None:
            self._sign_in.close()
        super().reject()


class AddBlueskyAccountDialog(QDialog):
    """Handle and app password; the sign-in runs on a worker thread. The password is used
    once, to open a session, and not kept: the session is what goes to the keyring."""

    account_was_added = Signal(object)  # Account

    def __init__(
        self, open_workspace: Callable[[], Workspace], jobs: BackgroundJobs, parent: QDialog | None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a Bluesky account")
        self._open_workspace = open_workspace
        self._jobs = jobs
        self._job: int | None = None
        self.handle = QLineEdit()
        self.handle.setPlaceholderText("yourbrand.bsky.social")
        self.handle.setAccessibleName("Handle")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("xxxx-xxxx-xxxx-xxxx")
        self.password.setAccessibleName("App password")
        self.server = QLineEdit(BLUESKY_SERVER)
        self.server.setAccessibleName("Server")
        self.status = QLabel(
            "Use an app password (Bluesky: Settings → Privacy and security → App passwords), "
            "not your main password."
        )
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign in")
        self.buttons.accepted.connect(self._sign_in)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Handle", self.handle)
        form.addRow("App password", self.password)
        form.addRow("Server", self.server)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        jobs.job_did_finish.connect(self._finished)
        jobs.job_did_fail.connect(self._failed)

    def _sign_in(self) -> None:
        handle, password, server = self.handle.text(), self.password.text(), self.server.text()
        if not handle.strip() or not password:
            self.status.setText("Enter the handle and an app password.")
            return
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        self.status.setText("Signing in…")

        def add() -> Account:
            workspace = self._open_workspace()
            try:
                return workspace.account_service.add_bluesky(handle, password, server)
            finally:
                workspace.close()

        self._job = self._jobs.submit(add)

    def _finished(self, job_id: int, account: object) -> None:
        if job_id == self._job:
            self.password.clear()
            self.account_was_added.emit(account)
            self.accept()

    def _failed(self, job_id: int, error: object) -> None:
        if job_id == self._job:
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)
            self.status.setText(f"<b>Not signed in:</b> {error}")
