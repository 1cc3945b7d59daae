"""Logging: a rotating file per installation, and warnings (or more with -v) on stderr."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(log_dir: Path, *, verbose: bool = False) -> Path:
    log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    log_file = log_dir / "heedful.log"
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for handler in list(root.handlers):
        if (handler.get_name() or "").startswith("heedful"):
            root.removeHandler(handler)
            handler.close()

    to_file = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    to_file.setFormatter(logging.Formatter(LOG_FORMAT))
    to_stderr = logging.StreamHandler(sys.stderr)
    to_stderr.setLevel(logging.INFO if verbose else logging.WARNING)
    to_stderr.setFormatter(logging.Formatter("heedful: %(levelname)s: %(message)s"))
    to_file.set_name("heedful-file")
    to_stderr.set_name("heedful-stderr")
    root.addHandler(to_file)
    root.addHandler(to_stderr)
    log_file.chmod(0o600)
    return log_file
