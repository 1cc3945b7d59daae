"""Opening links outside Heedful: one door, `open_external`, for every link the app opens.

Links come from servers (a mention's address, a sent post's URL, links in a post's HTML) and
are untrusted: only http(s) goes to the browser, and a mailto link only as its address (a
`?attach=` or `?body=` would be filled in by the mail program). `file:`, `smb:`, custom
schemes and anything else are never handed to the desktop. Hovering a link shows its real
target (`hover_text`), percent-encoded, so look-alike or right-to-left tricks show for what
they are.
"""

from __future__ import annotations

import logging
import re

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

log = logging.getLogger(__name__)

WEB_SCHEMES = ("http", "https")
# One plain address: no spaces, brackets, commas or further recipients.
_ADDRESS = re.compile(r"[^\s@<>()\[\],;:\"'\\]+@[^\s@<>()\[\],;:\"'\\]+")


def external_target(link: str | QUrl) -> QUrl | None:
    """What opening `link` would hand to the desktop, or None when Heedful never opens it."""
    url = QUrl(link)
    scheme = url.scheme().lower()
    if scheme in WEB_SCHEMES:
        if not url.isValid() or not url.host():
            return None
        # "https://bank.example@evil.example" goes to evil.example: never with the disguise.
        url.setUserInfo(None)  # type: ignore[arg-type]  # None (not "") clears it
        return url
    if scheme == "mailto":
        address = QUrl.fromPercentEncoding(
            url.path(QUrl.ComponentFormattingOption.FullyEncoded).encode()
        )
        if not _ADDRESS.fullmatch(address):
            return None
        return QUrl(f"mailto:{address}")
    return None


def hover_text(link: str | QUrl) -> str:
    """What a person sees on hovering `link`: the real target, or why it does not open."""
    target = external_target(link)
    if target is None:
        scheme = QUrl(link).scheme() or "this kind of"
        return f"Heedful does not open {scheme} links"
    shown = target.toString(QUrl.ComponentFormattingOption.FullyEncoded)
    return shown.removeprefix("mailto:") if target.scheme() == "mailto" else shown


def open_external(link: str | QUrl) -> bool:
    """Open a link in the system's browser or mail program, if it is one Heedful opens."""
    target = external_target(link)
    if target is None:
        log.warning(
            "not opened: %s", QUrl(link).toString(QUrl.ComponentFormattingOption.FullyEncoded)[:200]
        )
        return False
    return QDesktopServices.openUrl(target)
