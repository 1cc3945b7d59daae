"""A Heedful process that uses an X account's sign-in once: it fetches the conversation around
a stored mention, as the window's detail pane does (outside any sync lease). For the test of
two processes renewing one sign-in at once (tests/test_x_refresh.py).

Usage: `python tests/peers/x_sign_in_user.py MENTION_ID`, with HEEDFUL_HOME set. It opens the
workspace, prints "ready", waits for "go" on standard input, fetches, and prints "ok N" (N new
posts) or "failed: TYPE: MESSAGE" and exits 0 or 1.
"""

from __future__ import annotations

import sys

from app.bootstrap import StartupOptions, build_workspace
from app.networks.errors import NetworkError


def main(mention_id: int) -> int:
    workspace = build_workspace(StartupOptions())
    try:
        print("ready", flush=True)
        if sys.stdin.readline().strip() != "go":
            return 0
        try:
            added = workspace.sync.fetch_thread(mention_id)
        except NetworkError as error:
            print(f"failed: {type(error).__name__}: {error}", flush=True)
            return 1
        print(f"ok {added}", flush=True)
        return 0
    finally:
        workspace.close()


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
