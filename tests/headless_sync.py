"""`heedful sync --once` with small pages, as its own process: what the kill -9 tests kill.

Small pages (HEEDFUL_TEST_PAGE_SIZE items, for the network in HEEDFUL_TEST_NETWORK) give a
short sync many commits to be killed between. Everything else is the real command: the real
store under HEEDFUL_HOME, the real keyring, the real networks' APIs.

With `--wait-for-go` it loads its modules, prints "ready" and waits for a line on standard
input before it starts: the tests start the next run's process while the current one syncs
(Python's start-up is most of a run's time), and nothing of the sync happens before "go".
"""

from __future__ import annotations

import importlib
import os
import sys

from app.__main__ import main

if __name__ == "__main__":
    arguments = sys.argv[1:]
    network = os.environ.get("HEEDFUL_TEST_NETWORK")
    if network in ("mastodon", "bluesky", "x"):  # X's pages hold at least 5
        connector = importlib.import_module(f"app.networks.{network}.connector")
        page_size = int(os.environ.get("HEEDFUL_TEST_PAGE_SIZE", "0"))
        if page_size > 0:
            connector.PAGE_SIZE = page_size
    if "--wait-for-go" in arguments:
        arguments.remove("--wait-for-go")
        print("ready", flush=True)
        if sys.stdin.readline().strip() != "go":
            sys.exit(0)  # the test ended without needing this run
    sys.exit(main(["sync", "--once", *arguments]))
