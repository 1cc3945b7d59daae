"""`heedful requests`: mentions the brand's server filtered (Mastodon 4.3+ notification
requests), and accepting or dismissing them from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from app.bootstrap import Workspace
from app.sync.afterwards import NoRequest
from app.text.display import iso_time, one_line

EXIT_OK = 0
EXIT_FAILED = 1


def add_requests_parser(commands: Any) -> None:
    requests = commands.add_parser(
        "requests",
        help="mentions your server filtered (notification requests): list, accept, dismiss",
        description="Mastodon 4.3+ holds some notifications back (its notification policy): "
        "private mentions from people you do not follow, new or limited accounts. Heedful "
        "fetches them anyway and shows them in the inbox marked 'filtered'. Accepting a "
        "request lets that person's notifications through from now on; dismissing it "
        "deletes what the server held (Heedful keeps its copy, closed).",
    )
    actions = requests.add_subparsers(dest="requests_command", metavar="COMMAND", required=True)
    listing = actions.add_parser("list", help="filtered mentions waiting for a decision")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    for name, what in (("accept", "accept"), ("dismiss", "dismiss")):
        action = actions.add_parser(name, help=f"{what} the request of a mention's author")
        action.add_argument("mention_id", type=int, metavar="MENTION_ID")


def run_requests(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    if args.requests_command == "list":
        return _list(workspace, args, out)
    if workspace.is_demo:
        print("heedful: the demo workspace has no server to ask.", file=sys.stderr)
        return EXIT_FAILED
    service = workspace.requests
    act = service.accept if args.requests_command == "accept" else service.dismiss
    try:
        outcome = act(args.mention_id)
    except NoRequest as problem:
        print(f"heedful: {problem}", file=sys.stderr)
        return EXIT_FAILED
    except KeyError:
        print(f"heedful: there is no mention {args.mention_id}", file=sys.stderr)
        return EXIT_FAILED
    out.write(outcome.message + "\n")
    return EXIT_OK


def _list(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    ids = workspace.mentions.waiting_filtered()
    mentions = [workspace.inbox.mention(mention_id) for mention_id in ids]
    if args.json:
        rows = [
            {
                "id": m.id,
                "account": m.account_handle,
                "author_handle": m.author.handle,
                "text": m.text,
                "filtered": m.filtered,
                "created_at": iso_time(m.created_at),
            }
            for m in mentions
        ]
        json.dump(rows, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return EXIT_OK
    if not mentions:
        print("No filtered mentions wait.", file=sys.stderr)
    for m in mentions:
        out.write(
            f"{m.id:>7}  {one_line(m.author.handle, 28):<28}  {one_line(m.text, 60):<60}  "
            f"{m.filtered}\n"
        )
    return EXIT_OK
