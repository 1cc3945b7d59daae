"""Adding an account: Mastodon (server address, then the browser or a pasted code) and Bluesky
(handle and app password). Each sign-in is a coroutine whose network steps are awaited on
the network lane, so the dialog reads as the steps a person goes through."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
)

from storage.errors import StoreError
from storage.records import Account

from app.accounts import BLUESKY_SERVER
from app.bootstrap import Workspace
from app.networks.errors import NetworkError
from app.networks.mastodon.auth import MastodonSignIn
from app.secrets import KeyringUnavailable

from ui.links import open_external
from ui.tasks import Lane, Tasks

log = logging.getLogger(__name__)

T = TypeVar("T")

# What a sign-in can meet that a person can act on; anything else is a bug and is logged.
SIGN_IN_FAILURES = (NetworkError, StoreError, KeyringUnavailable, OSError)


class AddMastodonAccountDialog(QDialog):
    """Every network step runs on a worker thread; the dialog only shows where it is."""

    account_was_added = Signal(object)  # Account
    address_did_open = Signal(str)  # the sign-in address, for tests and for copying

    def __init__(
        self,
        open_workspace: Callable[[], Workspace],
        tasks: Tasks,
        parent: QDialog | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a Mastodon account")
        # Each worker step opens the workspace on its own connection (never the GUI's).
        self._open_workspace = open_workspace
        self._tasks = tasks
        self._sign_in: MastodonSignIn | None = None
        self._cancel = threading.Event()
        # How the sign-in page is shown: the system browser (tests drive the page instead).
        self.open_in_browser: Callable[[str], object] = open_external

        self.server = QLineEdit()
        self.server.setPlaceholderText("mastodon.social")
        self.server.setAccessibleName("Server address")
        self.use_code = QCheckBox("Paste a code instead of returning to this computer")
        self.code = QLineEdit()
        self.code.setPlaceholderText("The code the server shows after you allow access")
        self.code.setEnabled(False)
        self.status = QLabel("Heedful opens your browser; sign in there and allow access.")
        self.status.setWordWrap(True)
        # Plain text: it quotes servers' errors and the sign-in address, never as HTML.
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

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
            self._busy("Finishing the sign-in…")
            self._begin(self._finish_with_code(self._sign_in, code))
            return
        address = self.server.text().strip()
        if not address:
            self.status.setText("Enter your server's address, e.g. mastodon.social.")
            return
        self._busy("Contacting the server…")
        self._begin(self._sign_in_at(address, out_of_band=self.use_code.isChecked()))

    def _begin(self, steps: Coroutine[Any, Any, None]) -> None:
        self._tasks.spawn(_failures_shown(steps, self._failed), owner=self)

    async def _network(self, work: Callable[[], T]) -> T:
        return await self._tasks.call(work, lane=Lane.NETWORK, owner=self)

    async def _sign_in_at(self, address: str, *, out_of_band: bool) -> None:
        """Server address → sign-in page in the browser → (the browser comes back, or a code
        is pasted) → the account is added."""
        sign_in, url = await self._network(lambda: self._start(address, out_of_band))
        self._sign_in = sign_in
        self.address_did_open.emit(url)
        self.open_in_browser(url)
        if out_of_band:
            self.code.setEnabled(True)
            self.code.setFocus()
            self._ready(
                "Allow access in your browser, then paste the code it shows here.\n"
                f"The address, if no browser opened: {url}"
            )
            return
        self.status.setText(
            f"Waiting for you to allow access in your browser…\nIf no browser opened, visit: {url}"
        )
        token = await self._network(
            lambda: sign_in.wait_for_browser(timeout=600, cancel=(self._cancel, self._tasks.stop))
        )
        self._added(await self._network(lambda: self._finish(sign_in, token)))

    async def _finish_with_code(self, sign_in: MastodonSignIn, code: str) -> None:
        self._added(await self._network(lambda: self._finish(sign_in, sign_in.finish(code))))

    # --- on a worker thread ----------------------------------------------------------------

    def _start(self, address: str, out_of_band: bool) -> tuple[MastodonSignIn, str]:
        workspace = self._open_workspace()
        try:
            sign_in = workspace.account_service.begin_mastodon_sign_in(
                address, out_of_band=out_of_band
            )
        finally:
            workspace.close()
        return sign_in, sign_in.start()

    def _finish(self, sign_in: MastodonSignIn, token: str) -> Account:
        workspace = self._open_workspace()
        try:
            return workspace.account_service.finish_mastodon_sign_in(sign_in.server, token)
        finally:
            workspace.close()

    # --- back on the GUI thread --------------------------------------------------------------

    def _added(self, account: Account) -> None:
        self.account_was_added.emit(account)
        self.accept()

    def _failed(self, error: Exception) -> None:
        if self._sign_in is not None:
            self._sign_in.close()
        self._sign_in = None
        self.server.setEnabled(True)
        self.use_code.setEnabled(True)
        self._ready(f"Not signed in: {error}")

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
        self, open_workspace: Callable[[], Workspace], tasks: Tasks, parent: QDialog | None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a Bluesky account")
        self._open_workspace = open_workspace
        self._tasks = tasks
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
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # quotes the server's errors
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

    def _sign_in(self) -> None:
        handle, password, server = self.handle.text(), self.password.text(), self.server.text()
        if not handle.strip() or not password:
            self.status.setText("Enter the handle and an app password.")
            return
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        self.status.setText("Signing in…")
        self._tasks.spawn(
            _failures_shown(self._add(handle, password, server), self._failed), owner=self
        )

    async def _add(self, handle: str, password: str, server: str) -> None:
        def add() -> Account:
            workspace = self._open_workspace()
            try:
                return workspace.account_service.add_bluesky(handle, password, server)
            finally:
                workspace.close()

        account = await self._tasks.call(add, lane=Lane.NETWORK, owner=self)
        self.password.clear()
        self.account_was_added.emit(account)
        self.accept()

    def _failed(self, error: Exception) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)
        self.status.setText(f"Not signed in: {error}")


async def _failures_shown(
    steps: Coroutine[Any, Any, None], show: Callable[[Exception], object]
) -> None:
    """Run a sign-in's steps; what goes wrong is shown in the dialog, which is usable again."""
    try:
        await steps
    except SIGN_IN_FAILURES as error:
        show(error)
    except Exception as error:  # a bug: logged in full, and still said in the dialog
        log.exception("signing in failed")
        show(error)
