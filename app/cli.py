"""The `heedful` command line: the same core as the window, for scripts, tests and power users."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from storage.errors import StoreError
from storage.records import InboxRow, utc_now

from app import __version__
from app.bootstrap import StartupOptions, Workspace, build_workspace
from app.inbox import InboxView, inbox_filter, mention_json
from app.logs import configure_logging
from app.paths import AppPaths
from app.text import age, one_line

EXIT_OK = 0
EXIT_STORE_PROBLEM = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="heedful",
        description="Heedful: a desktop inbox for community managers. "
        "With no command it opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"Heedful {__version__}")
    parser.add_argument(
        "--demo", action="store_true", help="use the demo workspace (created on first use)"
    )
    parser.add_argument(
        "--home",
        type=Path,
        metavar="DIR",
        help="keep all data, settings and logs under DIR (same as HEEDFUL_HOME)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    inbox = commands.add_parser("inbox", help="the inbox")
    inbox_commands = inbox.add_subparsers(dest="inbox_command", metavar="COMMAND", required=True)
    listing = inbox_commands.add_parser("list", help="list mentions, newest first")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.add_argument("--limit", type=_positive, default=50, metavar="N")
    listing.add_argument(
        "--view", choices=[view.value for view in InboxView], default=InboxView.OPEN.value
    )

    search = commands.add_parser("search", help="find mentions by words or author")
    search.add_argument("text", metavar="TEXT")
    search.add_argument("--json", action="store_true", help="print a JSON array")
    search.add_argument("--limit", type=_positive, default=50, metavar="N")
    search.add_argument(
        "--view", choices=[view.value for view in InboxView], default=InboxView.ALL.value
    )
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def startup_options(args: argparse.Namespace, *, window: bool) -> StartupOptions:
    return StartupOptions(home=args.home, demo=args.demo, demo_when_no_accounts=window)


def run_command(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    configure_logging(AppPaths.resolve(args.home).log_dir, verbose=args.verbose)
    try:
        workspace = build_workspace(startup_options(args, window=False))
    except StoreError as error:
        print(f"heedful: {error}", file=sys.stderr)
        return EXIT_STORE_PROBLEM
    try:
        if args.command == "inbox":
            view = inbox_filter(InboxView(args.view))
        else:
            view = inbox_filter(InboxView(args.view), args.text)
            if view.match is None:
                print("heedful: nothing to search for in that text", file=sys.stderr)
                return EXIT_OK
        rows = workspace.inbox.list_rows(view, args.limit)
        _print_rows(rows, out, as_json=args.json)
        return EXIT_OK
    except StoreError as error:
        print(f"heedful: {error}", file=sys.stderr)
        return EXIT_STORE_PROBLEM
    finally:
        workspace.close()


def _print_rows(rows: Sequence[InboxRow], out: TextIO, *, as_json: bool) -> None:
    if as_json:
        json.dump([mention_json(row) for row in rows], out, ensure_ascii=False, indent=2)
        out.write("\n")
        return
    now = utc_now()
    for row in rows:
        out.write(
            f"{row.id:>7}  {age(row.created_at, now):>6}  {row.network.value:<8}  "
            f"{row.status.value:<7}  {row.kind.value:<7}  {(row.language or '?'):<3} "
            f"{one_line(row.author_handle, 28):<28}  {one_line(row.text, 90)}\n"
        )


__all__ = ["Workspace", "build_parser", "run_command", "startup_options"]
