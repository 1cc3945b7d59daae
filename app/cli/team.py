"""`heedful team`: join a team's server, see where the workspace stands, exchange changes."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any, TextIO

from storage.drafts import DraftRepository
from storage.records import utc_now

from app.bootstrap import Workspace
from app.compose.replies import describe_outbox_item
from app.team.claims import held_by_text
from app.team.errors import NotJoined, TeamError, TeamOffline
from app.team.service import CREDENTIAL_KINDS
from app.text.display import age, iso_time

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_NETWORK_PROBLEM = 3

# How long a command waits for the team's server before it leaves changes queued.
CLI_CONNECT_TIMEOUT_S = 2.0


def add_team_parser(commands: Any) -> None:
    team = commands.add_parser(
        "team",
        help="share the inbox with a team (a NATS JetStream server)",
        description="A team shares triage, notes, snippets and reply claims through its own "
        "NATS server (nats-server -js). Changes made offline wait and go when it answers.",
    )
    team_commands = team.add_subparsers(dest="team_command", metavar="COMMAND", required=True)
    join = team_commands.add_parser(
        "join",
        help="join a team (the password, token or .creds path is read from standard input)",
    )
    join.add_argument("--server", required=True, metavar="URL", help="nats://host:4222 or tls://…")
    join.add_argument("--team", required=True, metavar="NAME", help="e.g. fjellform-care")
    join.add_argument("--user", required=True, metavar="NAME", help="your user on the server")
    join.add_argument(
        "--auth",
        choices=CREDENTIAL_KINDS,
        default="password",
        help="what standard input holds: a password (default), a token, or a .creds file path",
    )
    status = team_commands.add_parser(
        "status", help="connected or offline, changes waiting, last exchange"
    )
    status.add_argument("--json", action="store_true", help="print a JSON object")
    team_commands.add_parser("sync", help="exchange everything pending with the team, then exit")
    held = team_commands.add_parser(
        "held", help="replies held because a teammate answered the mention first"
    )
    held.add_argument("--json", action="store_true", help="print a JSON array")
    for name, what in (
        ("send-anyway", "send a held reply although a teammate answered (recorded, logged)"),
        ("send-without-claim", "send a reply now without the team's claim (server unreachable)"),
        ("discard", "take a held reply out of the outbox; nothing is posted"),
        ("edit", "take a held reply out of the outbox and back into the mention's draft"),
    ):
        choice = team_commands.add_parser(name, help=what)
        choice.add_argument("outbox_id", type=int, metavar="OUTBOX_ID")
    team_commands.add_parser("leave", help="leave the team (its password leaves the keyring)")


def run_team(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    commands = {
        "join": _join,
        "status": _status,
        "sync": _sync,
        "leave": _leave,
        "held": _held,
        "send-anyway": _held_choice,
        "send-without-claim": _held_choice,
        "discard": _held_choice,
        "edit": _held_choice,
    }
    try:
        return commands[args.team_command](workspace, args, out)
    except NotJoined as problem:
        return _fail(str(problem), EXIT_FAILED)
    except TeamOffline as problem:
        return _fail(str(problem), EXIT_NETWORK_PROBLEM)
    except TeamError as problem:
        return _fail(str(problem), EXIT_FAILED)


def _fail(message: str, code: int) -> int:
    print(f"heedful: {message}", file=sys.stderr)
    return code


def _join(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    what = {"password": "Password", "token": "Token", "creds": "Path of the .creds file"}
    if sys.stdin.isatty():
        secret = getpass.getpass(f"{what[args.auth]} for {args.user}: ")
    else:
        secret = sys.stdin.readline().rstrip("\r\n")
    if not secret:
        return _fail(f"no {args.auth} given on standard input", EXIT_FAILED)
    report = workspace.team.join(args.server, args.team, args.user, secret, args.auth)
    membership = workspace.team.membership()
    assert membership is not None
    out.write(
        f"Joined team {membership.team} on {membership.server} as {membership.user}; "
        f"{report.applied} team change(s) applied.\n"
    )
    return EXIT_OK


def _status(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    facts = workspace.team.facts()
    membership = facts.membership
    connected = workspace.team.probe(CLI_CONNECT_TIMEOUT_S) if membership is not None else False
    if args.json:
        document: dict[str, Any] = {"joined": membership is not None}
        if membership is not None:
            document.update(
                {
                    "server": membership.server,
                    "team": membership.team,
                    "user": membership.user,
                    "connected": connected,
                    "waiting": facts.waiting,
                    "unconfirmed": facts.unconfirmed,
                    "applied_seq": membership.applied_seq,
                    "last_exchange_at": iso_time(membership.last_exchange_at),
                    "last_error": membership.last_error,
                    "rejected_messages": facts.rejected,
                }
            )
        json.dump(document, out, indent=2)
        out.write("\n")
        return EXIT_OK
    if membership is None:
        out.write("Not in a team (join one with 'heedful team join').\n")
        return EXIT_OK
    noun = "change" if facts.waiting == 1 else "changes"
    state = "connected" if connected else f"offline with {facts.waiting} {noun} waiting"
    if connected and facts.waiting:
        state += f", {facts.waiting} {noun} to publish"
    last = (
        f"last exchange {age(membership.last_exchange_at, utc_now())} ago"
        if membership.last_exchange_at
        else "no exchange yet"
    )
    out.write(
        f"Team {membership.team} on {membership.server} as {membership.user}: {state}; {last}.\n"
    )
    if facts.rejected:
        out.write(f"  {facts.rejected} malformed message(s) were refused (see the log).\n")
    return EXIT_OK


def _sync(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    report = workspace.team.exchange()
    out.write(
        f"Published {report.published}, applied {report.applied} from the team"
        + (f", {report.conflicts} not applied (conflicts)" if report.conflicts else "")
        + (f", {report.rejected} malformed refused" if report.rejected else "")
        + ".\n"
    )
    for notice in report.notices:
        out.write(f"  {notice}\n")
    return EXIT_OK


def _held(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    holds = workspace.team.held_replies()
    if args.json:
        json.dump(
            [
                {
                    "outbox_id": hold.outbox_id,
                    "held_by": hold.holder_actor,
                    "held_by_user": hold.holder_user,
                    "claimed_at": iso_time(hold.claimed_at),
                    "detail": held_by_text(hold),
                }
                for hold in holds
            ],
            out,
            indent=2,
        )
        out.write("\n")
        return EXIT_OK
    if not holds:
        out.write("No reply is held.\n")
    for hold in holds:
        out.write(
            f"{hold.outbox_id:>5}  {held_by_text(hold)}: heedful team send-anyway|discard|edit "
            f"{hold.outbox_id}\n"
        )
    return EXIT_OK


def _held_choice(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    gate = workspace.team.gate
    outbox_id = args.outbox_id
    try:
        item = workspace.outbox.get(outbox_id)
    except KeyError:
        return _fail(f"there is no reply {outbox_id} in the outbox", EXIT_FAILED)
    if args.team_command == "send-anyway":
        gate.send_anyway(outbox_id)
        workspace.sync.sync_account(workspace.accounts.get(item.account_id), pull=False)
        out.write(describe_outbox_item(workspace.outbox.get(outbox_id)) + "\n")
    elif args.team_command == "send-without-claim":
        gate.send_without_claim(outbox_id)
        workspace.sync.sync_account(workspace.accounts.get(item.account_id), pull=False)
        out.write(describe_outbox_item(workspace.outbox.get(outbox_id)) + "\n")
    elif args.team_command == "discard":
        if gate.discard(outbox_id) is None:
            return _fail(f"reply {outbox_id} is not waiting any more", EXIT_FAILED)
        out.write(f"Discarded reply {outbox_id}; nothing was posted.\n")
    else:
        mention_id = gate.edit(outbox_id, DraftRepository(workspace.store))
        if mention_id is None:
            return _fail(f"reply {outbox_id} is not waiting any more", EXIT_FAILED)
        out.write(f"Reply {outbox_id} is the draft of mention {mention_id} again.\n")
    return EXIT_OK


def _leave(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    membership = workspace.team.membership()
    if membership is None:
        out.write("Not in a team.\n")
        return EXIT_OK
    waiting = workspace.team.facts().waiting
    workspace.team.leave()
    out.write(
        f"Left team {membership.team}"
        + (f" ({waiting} change(s) that had not reached it stay only here)" if waiting else "")
        + ".\n"
    )
    return EXIT_OK


def share_at_once(workspace: Workspace, err: TextIO = sys.stderr) -> None:
    """After a change from the command line: publish it now, or say it waits (offline)."""
    if workspace.team.membership() is None or workspace.team.facts().waiting == 0:
        return
    try:
        workspace.team.exchange(connect_timeout=CLI_CONNECT_TIMEOUT_S)
    except TeamError as problem:
        waiting = workspace.team.facts().waiting
        print(
            f"heedful: the team's server did not answer ({problem}); {waiting} change(s) wait "
            "and go with the next 'heedful team sync' or the window.",
            file=err,
        )
