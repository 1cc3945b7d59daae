"""`heedful triage`: status, snooze, assignee, tags, priority and notes from the command line."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from typing import Any, TextIO

from storage.records import TriageStatus

from app.bootstrap import Workspace
from app.inbox.triage import PRIORITY_LABELS, TriageChange, TriageInputError
from app.text.display import iso_time

EXIT_OK = 0
EXIT_FAILED = 1


def add_triage_parser(commands: Any) -> None:
    triage = commands.add_parser(
        "triage",
        help="set status, snooze, assignee, tags, priority or a note on mentions",
        description="Change the triage state of one or more mentions; each change is "
        "recorded in the triage history under the agent name from settings.",
    )
    triage.add_argument("mention_ids", type=int, nargs="+", metavar="MENTION_ID")
    triage.add_argument("--status", choices=[status.value for status in TriageStatus])
    who = triage.add_mutually_exclusive_group()
    who.add_argument("--assign", metavar="NAME", help="assign to a teammate")
    who.add_argument("--unassign", action="store_true")
    triage.add_argument("--tag", action="append", default=[], metavar="TAG")
    triage.add_argument("--untag", action="append", default=[], metavar="TAG")
    triage.add_argument(
        "--priority",
        type=int,
        choices=sorted(PRIORITY_LABELS),
        help="0 none, 1 low, 2 high, 3 urgent",
    )
    when = triage.add_mutually_exclusive_group()
    when.add_argument(
        "--snooze-until",
        type=_moment,
        metavar="TIME",
        help="ISO time, e.g. 2026-11-24T09:00 (local time unless it has an offset)",
    )
    when.add_argument("--snooze-hours", type=float, metavar="H")
    when.add_argument("--wake", action="store_true", help="end the snooze now")
    triage.add_argument("--note", metavar="TEXT", help="add an internal note (first mention)")
    triage.add_argument(
        "--history", action="store_true", help="print each mention's triage history"
    )


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a time: {text!r} (try 2026-11-24T09:00)") from error
    return moment.astimezone()  # a time without an offset is the user's local time


def run_triage(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    triage = workspace.triage
    ids: list[int] = list(dict.fromkeys(args.mention_ids))
    for mention_id in ids:
        try:
            triage.state(mention_id)
        except KeyError:
            print(f"heedful: there is no mention {mention_id}", file=sys.stderr)
            return EXIT_FAILED
    changes: list[TriageChange] = []
    try:
        if args.status:
            changes.append(triage.set_status(ids, TriageStatus(args.status)))
        if args.assign is not None or args.unassign:
            changes.append(triage.assign(ids, None if args.unassign else args.assign))
        for tag in args.tag:
            changes.append(triage.tag(ids, tag))
        for tag in args.untag:
            changes.append(triage.untag(ids, tag))
        if args.priority is not None:
            changes.append(triage.set_priority(ids, args.priority))
        if args.snooze_until is not None:
            changes.append(triage.snooze(ids, args.snooze_until))
        if args.snooze_hours is not None:
            changes.append(triage.snooze(ids, triage.now() + timedelta(hours=args.snooze_hours)))
        if args.wake:
            changes.append(triage.unsnooze(ids))
        if args.note:
            changes.append(triage.add_note(ids[0], args.note))
    except TriageInputError as error:
        for change in changes:  # what was done before the bad input stays done: say so
            out.write(f"{change.description}\n")
        print(f"heedful: {error}", file=sys.stderr)
        return EXIT_FAILED
    for change in changes:
        out.write(f"{change.description if change.changed else 'No change'}\n")
    if args.history:
        for mention_id in ids:
            out.write(f"Mention {mention_id}:\n")
            for event in triage.history(mention_id):
                out.write(
                    f"  {iso_time(event.at)}  {event.actor}  {event.field}: "
                    f"{event.old_value or '-'} -> {event.new_value or '-'}\n"
                )
    if not changes and not args.history:  # nothing asked: show where each mention stands
        for mention_id in ids:
            state = triage.state(mention_id)
            out.write(
                f"{mention_id}: {state.status.value}, assigned to {state.assignee or 'nobody'}, "
                f"priority {PRIORITY_LABELS.get(state.priority, state.priority)}, "
                f"tags: {', '.join(state.tags) or 'none'}\n"
            )
    return EXIT_OK
