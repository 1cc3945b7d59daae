"""A `heedful` command as its own process, loaded before it is needed (what kill tests kill).

With `--wait-for-go` it imports everything, prints "ready" and waits for "go" on stdin
before it runs the command: the tests start the next run while the current one works.
"""

from __future__ import annotations

import sys

from app.__main__ import main

if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["--wait-for-go"]:
        arguments = arguments[1:]
        import app.team.connection
        import app.team.link  # noqa: F401

        print("ready", flush=True)
        if sys.stdin.readline().strip() != "go":
            sys.exit(0)
    sys.exit(main(arguments))
