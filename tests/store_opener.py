"""`python tests/store_opener.py PATH [--hold]`: open the store at PATH as Heedful does (the
migrations run if it is older), print its schema version, close it.

It says `waiting-for-the-write-lock` as its migrations ask for the write lock. With `--hold`
it stops just before committing them (`holding`), until a `go` line comes on standard input:
what a slow first process looks like to a second one opening the same file meanwhile.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from storage import store


def main(path: Path, hold: bool) -> int:
    connect = sqlite3.connect

    def traced(database: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        connection = connect(database, *args, **kwargs)  # type: ignore[arg-type]

        def statement_did_start(sql: str) -> None:
            if sql.startswith("BEGIN IMMEDIATE"):
                print("waiting-for-the-write-lock", flush=True)
            elif hold and sql.startswith("PRAGMA user_version ="):
                print("holding", flush=True)
                if sys.stdin.readline().strip() != "go":
                    raise SystemExit(1)

        connection.set_trace_callback(statement_did_start)
        return connection

    store.sqlite3.connect = traced  # type: ignore[assignment]
    opened = store.open_store(path)
    try:
        print(f"version {opened.schema_version()}", flush=True)
    finally:
        opened.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), "--hold" in sys.argv[2:]))
