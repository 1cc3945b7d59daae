"""Adding an account: Mastodon (server address, then the browser or a pasted code), Bluesky
(handle and app password) and X (the person's own X app's client id, then the browser or the
address it ended on, pasted). Each sign-in is a coroutine whose network steps are awaited on
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
    QSpinBox,
    QVBoxLayout,
)

from storage.errors import StoreError
from storage.records import Account

from app.accounts import BLUESKY_SERVER
from app.bootstrap import Workspace
from app.networks.errors import NetworkError
from app.networks.mastodon.auth import MastodonSignIn
from app.networks.x.auth import API_SERVER as X_API_SERVER
from app.networks.x.auth import DEFAULT_CALLBACK_PORT as X_CALLBACK_PORT
from app.networks.x.auth import SCOPES as X_SCOPES
from app.networks.x.auth import Tokens, XSignIn, callback_uri
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


class AddXAccountDialog(QDialog):
    """X through the person's own X developer app: its OAuth 2.0 client id (asked for once,
    then kept in the keyring) and the callback address registered in it. Every network step
    runs on a worker thread."""

    account_was_added = Signal(object)  # Account
    address_did_open = Signal(str)  # the sign-in address, for tests and for copying

    def __init__(
        self, open_workspace: Callable[[], Workspace], tasks: Tasks, parent: QDialog | None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add an X account")
        self._open_workspace = open_workspace
        self._tasks = tasks
        self._sign_in: XSignIn | None = None
        self._cancel = threading.Event()
        self.open_in_browser: Callable[[str], object] = open_external
        # X has one API; tests point this at the loopback X test server.
        self.api_server = X_API_SERVER

        self.client_id = QLineEdit()
        self.client_id.setPlaceholderText("Your app's OAuth 2.0 Client ID (empty: the last one)")
        self.client_id.setAccessibleName("Client ID")
        self.port = QSpinBox()
        self.port.setRange(1024, 65535)
        self.port.setValue(X_CALLBACK_PORT)
        self.port.setAccessibleName("Callback port")
        self.callback = QLabel()
        self.callback.setTextFormat(Qt.TextFormat.PlainText)
        self.callback.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.port.valueChanged.connect(self._show_callback)
        self._show_callback()
        self.use_address = QCheckBox("Paste the address the browser ends on instead")
        self.address = QLineEdit()
        self.address.setPlaceholderText("http://127.0.0.1:…/callback?state=…&code=…")
        self.address.setAccessibleName("Address the browser ended on")
        self.address.setEnabled(False)
        help_text = QLabel(
            "Heedful signs in through your own X app (developer.x.com → your project → your "
            'app): in its User authentication settings choose "Native App" (a public '
            "client), allow read, write and direct messages, and add the callback address "
            "above. Copy the OAuth 2.0 Client ID from Keys and tokens. Heedful asks for: "
            + " ".join(X_SCOPES)
            + "."
        )
        help_text.setWordWrap(True)
        help_text.setTextFormat(Qt.TextFormat.PlainText)
        self.status = QLabel("Heedful then opens your browser; sign in there and allow access.")
        self.status.setWordWrap(True)
        # Plain text: it quotes X's errors and the sign-in address, never as HTML.
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign in")
        self.buttons.accepted.connect(self._next_step)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Client ID", self.client_id)
        form.addRow("Callback port", self.port)
        form.addRow("Callback address", self.callback)
        form.addRow("", self.use_address)
        form.addRow("Address", self.address)
        layout = QVBoxLayout(self)
        layout.addWidget(help_text)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    def _show_callback(self) -> None:
        self.callback.setText(callback_uri(self.port.value()))

    def _busy(self, message: str) -> None:
        self.status.setText(message)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        for field in (self.client_id, self.port, self.use_address):
            field.setEnabled(False)

    def _ready(self, message: str) -> None:
        self.status.setText(message)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)

    def _next_step(self) -> None:
        if self._sign_in is not None and self.use_address.isChecked():
            address = self.address.text().strip()
            if not address:
                self.status.setText("Paste the whole address your browser ended on.")
                return
            self._busy("Finishing the sign-in…")
            self._begin(self._finish_with_address(self._sign_in, address))
            return
        self._busy("Preparing the sign-in…")
        self._begin(
            self._sign_in_with(
                self.client_id.text().strip(), self.port.value(), self.use_address.isChecked()
            )
        )

    def _begin(self, steps: Coroutine[Any, Any, None]) -> None:
        self._tasks.spawn(_failures_shown(steps, self._failed), owner=self)

    async def _network(self, work: Callable[[], T]) -> T:
        return await self._tasks.call(work, lane=Lane.NETWORK, owner=self)

    async def _sign_in_with(self, client_id: str, port: int, pasted: bool) -> None:
        """Client id and port → X's sign-in page in the browser → (the browser comes back to
        the callback address, or its address is pasted) → the account is added."""
        sign_in, url = await self._network(lambda: self._start(client_id, port, pasted))
        self._sign_in = sign_in
        self.address_did_open.emit(url)
        self.open_in_browser(url)
        if pasted:
            self.address.setEnabled(True)
            self.address.setFocus()
            self._ready(
                "Allow access in your browser, then paste here the address it ends on (the "
                f"page may not load: that is fine).\nThe address, if no browser opened: {url}"
            )
            return
        self.status.setText(
            f"Waiting for you to allow access in your browser…\nIf no browser opened, visit: {url}"
        )
        tokens = await self._network(
            lambda: sign_in.wait_for_browser(timeout=600, cancel=(self._cancel, self._tasks.stop))
        )
        self._added(await self._network(lambda: self._finish(sign_in, tokens)))

    async def _finish_with_address(self, sign_in: XSignIn, address: str) -> None:
        def finish() -> Account:
            return self._finish(sign_in, sign_in.finish_from_address(address))

        self._added(await self._network(finish))

    # --- on a worker thread ----------------------------------------------------------------

    def _start(self, client_id: str, port: int, pasted: bool) -> tuple[XSignIn, str]:
        workspace = self._open_workspace()
        try:
            sign_in = workspace.account_service.begin_x_sign_in(
                client_id or None, server=self.api_server, port=port, pasted=pasted
            )
            return sign_in, sign_in.start()  # the client id goes to the keyring here
        finally:
            workspace.close()

    def _finish(self, sign_in: XSignIn, tokens: Tokens) -> Account:
        workspace = self._open_workspace()
        try:
            return workspace.account_service.finish_x_sign_in(sign_in, tokens)
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
        for field in (self.client_id, self.port, self.use_address):
            field.setEnabled(True)
        self.address.setEnabled(False)
        self._ready(f"Not signed in: {error}")

    def reject(self) -> None:
        self._cancel.set()
        if self._sign_in is not None:
            self._sign_in.close()
        super().reject()


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
