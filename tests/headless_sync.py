"""`heedful sync --once` with small pages, as its own process: what the kill -9 tests kill.

Small pages (HEEDFUL_TEST_PAGE_SIZE items, for the network in HEEDFUL_TEST_NETWORK) give a
short sync many commits to be killed between. Everything else is the real command: the real
store under HEEDFUL_HOME, the real keyring, the real networks' APIs.
"""

from __future__ import annotations

import importlib
import os
import sys

from app.__main__ import main

if __name__ == "__main__":
    network = os.environ.get("HEEDFUL_TEST_NETWORK")
    page_size = int(os.environ.get("HEEDFUL_TEST_PAGE_SIZE", "0"))
    if network in ("mastodon", "bluesky") and page_size > 0:
        importlib.import_module(f"app.networks.{network}").PAGE_SIZE = page_size
    sys.exit(main(["sync", "--once", *sys.argv[1:]]))
