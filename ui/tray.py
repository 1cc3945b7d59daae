"""The tray icon: the unanswered count at a glance, and desktop notices for what must not wait."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QSystemTrayIcon, QWidget

from app.inbox.service import Arrivals, InboxView
from app.resources import resource_path
from app.text.display import one_line

from ui.inbox.panel import InboxPanel


class InboxTray(QObject):
    """Owns the QSystemTrayIcon. Where the desktop has no tray the icon is never shown,
    but the tooltip and notices are still kept (the window's own title says the same)."""

    notice_was_shown = Signal(str, str)  # title, body
    activated = Signal()  # the person clicked the icon: bring the window forward

    def __init__(self, icon: QIcon, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.icon = QSystemTrayIcon(icon, self)
        self.icon.setToolTip("Heedful")
        self.icon.activated.connect(lambda _reason: self.activated.emit())
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        if self.available:
            self.icon.show()

    def show_unanswered(self, count: int) -> None:
        self.icon.setToolTip(
            "Heedful: nothing unanswered"
            if count == 0
            else f"Heedful: {count:,} unanswered mention{'s' * (count != 1)}"
        )

    def announce(self, what: str, arrivals: Arrivals) -> None:
        """A desktop notice for new mentions in a watched view (DMs, or a view set to notify)."""
        if not arrivals.latest:
            return
        total = arrivals.count
        first = arrivals.latest[0]
        who = first.author_name or first.author_handle
        title = f"{what}: {who}" if total == 1 else f"{what}: {total:,} new"
        body = (
            one_line(first.text, 140)
            if total == 1
            else f"Latest from {who}: {one_line(first.text, 100)}"
        )
        if self.available and QSystemTrayIcon.supportsMessages():
            self.icon.showMessage(title, body, QSystemTrayIcon.MessageIcon.Information, 10_000)
        self.notice_was_shown.emit(title, body)

    def hide(self) -> None:
        self.icon.hide()


def install_inbox_tray(window: QWidget, panel: InboxPanel) -> InboxTray:
    """The window's tray icon, fed by the inbox panel's counts and news."""
    icon = QApplication.windowIcon()
    if icon.isNull():
        icon = QIcon(str(resource_path("icons", "heedful.svg")))
    tray = InboxTray(icon, window)
    panel.counts_did_change.connect(
        lambda counts: tray.show_unanswered(counts.get(InboxView.UNANSWERED, 0))
    )
    panel.news_did_arrive.connect(tray.announce)

    def bring_forward() -> None:
        window.showNormal()
        window.raise_()
        window.activateWindow()

    tray.activated.connect(bring_forward)
    return tray
