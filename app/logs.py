"""Logging: a rotating file per installation, and warnings (or more with -v) on stderr."""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

REDACTED = "[redacted]"

# What a secret looks like wherever a library might log it: HTTP headers, query strings,
# form bodies, JSON, and bare tokens (JWTs, Bluesky app passwords).
_SECRET_PATTERNS = [
    # Authorization: Bearer xyz / 'Authorization': 'Basic xyz'
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:bearer|basic|dpop)?\s*)[^\s'\",;]+"),
    # access_token=..., "refreshJwt": "...", password: ..., client_secret=...
    re.compile(
        r"(?i)((?:access|refresh|id)_?(?:token|jwt)|accessJwt|refreshJwt|client_secret|password"
        r"|app_password|code_verifier|secret|session|[?&]code)(['\"]?\s*[:=]\s*['\"]?)"
        r"[^\s'\"&,;}]+"
    ),
    # A JSON Web Token anywhere (Bluesky's sessions are JWTs).
    re.compile(r"\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*"),
    # Bluesky app passwords: xxxx-xxxx-xxxx-xxxx.
    re.compile(r"\b[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}\b"),
]


def redact(text: str) -> str:
    """The text with every secret-looking value replaced by [redacted]."""
    for pattern in _SECRET_PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + (m.group(2) if m.re.groups > 1 else "")
                               + REDACTED, text)  # fmt: skip
        else:
            text = pattern.sub(REDACTED, text)
    return text


class RedactSecrets(logging.Filter):
    """Applied to every Heedful log handler: libraries (urllib3, httpx, Mastodon.py) log
    URLs and sometimes headers at debug level, and a traceback can quote a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if record.exc_info and record.exc_text is None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Log files (the current one and each one started at rotation) are the owner's alone:
    they name customers and accounts."""

    def _open(self):  # type: ignore[no-untyped-def]
        stream = super()._open()
        os.chmod(self.baseFilename, 0o600)
        return stream


def configure_logging(log_dir: Path, *, verbose: bool = False) -> Path:
    log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    log_file = log_dir / "heedful.log"
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for handler in list(root.handlers):
        if (handler.get_name() or "").startswith("heedful"):
            root.removeHandler(handler)
            handler.close()

    to_file = _PrivateRotatingFileHandler(
        log_file, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    to_file.setFormatter(logging.Formatter(LOG_FORMAT))
    to_stderr = logging.StreamHandler(sys.stderr)
    to_stderr.setLevel(logging.INFO if verbose else logging.WARNING)
    to_stderr.setFormatter(logging.Formatter("heedful: %(levelname)s: %(message)s"))
    to_file.set_name("heedful-file")
    to_stderr.set_name("heedful-stderr")
    for handler in (to_file, to_stderr):
        handler.addFilter(RedactSecrets())
    root.addHandler(to_file)
    root.addHandler(to_stderr)
    log_file.chmod(0o600)
    return log_file
