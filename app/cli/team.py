"""`heedful team`: join a team's server, see where the workspace stands, exchange changes."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from storage.drafts import DraftRepository
from storage.records import OutboxItem, utc_now

from app.bootstrap import Workspace
from app.compose.replies import describe_outbox_item
from app.team.claims import held_by_text
from app.team.errors import NotJoined, TeamError, TeamOffline
from app.team.service import CREDENTIAL_KINDS
from app.team.wire import TeamNameError, check_team_name
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
        help="join a team (the password, token, .creds or seed file is read from standard input)",
    )
    join.add_argument("--server", required=True, metavar="URL", help="nats://host:4222 or tls://…")
    join.add_argument("--team", required=True, metavar="NAME", help="e.g. fjellform-care")
    join.add_argument("--user", required=True, metavar="NAME", help="your user on the server")
    join.add_argument(
        "--auth",
        choices=CREDENTIAL_KINDS,
        default="password",
        help="what standard input holds: a password (default), a token, the path of a .creds "
        "file (operator mode) or of an nkey seed file (nkey users in the server's config); "
        "the file's text goes to the keyring",
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
    library = team_commands.add_parser(
        "library",
        help="your snippet, view and brand voice changes a teammate's had overtaken, to decide",
    )
    library.add_argument("--json", action="store_true", help="print a JSON array")
    for name, what in (
        ("keep-both", "keep your snippet beside the team's (it gets the next free shortcut)"),
        ("merge", "merge your snippet with the team's, field by field, and save it"),
        ("apply-mine", "write your change again over the team's (a snippet, view, brand voice)"),
        ("keep-theirs", "leave the team's version as it is"),
    ):
        choice = team_commands.add_parser(name, help=what)
        choice.add_argument(
            "conflict_id", type=int, metavar="ID", help="from 'heedful team library'"
        )
        if name == "merge":
            choice.add_argument(
                "--prefer",
                choices=("mine", "theirs"),
                default="mine",
                help="whose text a field both of you changed keeps (default: yours)",
            )
    for name, what in (
        ("share-view", "make a saved view a team view: it appears on every teammate's laptop"),
        ("unshare-view", "make a team view yours only again (it leaves teammates' laptops)"),
    ):
        view = team_commands.add_parser(name, help=what)
        view.add_argument("view_name", metavar="NAME", help="the saved view's name")
    config = team_commands.add_parser(
        "server-config",
        help="print nats-server configuration for teams sharing one account, each member "
        "allowed only their team's subjects",
    )
    config.add_argument("--account", default="SHARED", metavar="NAME")
    config.add_argument(
        "--team", action="append", required=True, metavar="TEAM=USER,USER",
        help="a team and its members, e.g. care=kari,ola (repeat for each team)",
    )  # fmt: skip
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
        "library": _library,
        "keep-both": _library_choice,
        "merge": _library_choice,
        "apply-mine": _library_choice,
        "keep-theirs": _library_choice,
        "share-view": _share_view,
        "server-config": _server_config,
        "unshare-view": _share_view,
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
    what = {
        "password": "Password",
        "token": "Token",
        "creds": "Path of the .creds file",
        "nkey": "Path of the nkey seed file",
    }
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
    if args.team_command in ("discard", "edit"):
        share_at_once(workspace, ended=[item])  # teammates: no reply of ours queued there now
    else:
        share_at_once(workspace, replies=[workspace.outbox.get(outbox_id)])
    return EXIT_OK


def _library(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    library = workspace.team.library
    conflicts = [] if library is None else library.conflicts()
    if args.json:
        assert library is not None or not conflicts
        json.dump(
            [
                {
                    "id": conflict.id,
                    "kind": conflict.kind,
                    "operation": conflict.operation,
                    "detail": library.describe(conflict) if library else "",
                    "theirs_by": conflict.theirs_actor,
                    "theirs_at": iso_time(conflict.theirs_at),
                    "choices": _choices(conflict.kind, conflict.operation),
                }
                for conflict in conflicts
            ],
            out,
            indent=2,
        )
        out.write("\n")
        return EXIT_OK
    if not conflicts:
        out.write("Nothing to decide: every change of yours to the library went through.\n")
    for conflict in conflicts:
        assert library is not None
        choices = "|".join(_choices(conflict.kind, conflict.operation))
        command = f"heedful team {choices} {conflict.id}"
        out.write(f"{conflict.id:>5}  {library.describe(conflict)}: {command}\n")
    return EXIT_OK


def _choices(kind: str, operation: str) -> list[str]:
    if kind == "snippet" and operation == "save":
        return ["keep-both", "merge", "apply-mine", "keep-theirs"]
    return ["apply-mine", "keep-theirs"]


def _library_choice(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    library = workspace.team.library
    if library is None or workspace.team.membership() is None:
        raise NotJoined()
    try:
        conflict = library.conflict(args.conflict_id)
    except KeyError:
        return _fail(f"there is no library conflict {args.conflict_id}", EXIT_FAILED)
    if conflict.resolved:
        return _fail(f"{args.conflict_id} is decided already ({conflict.resolution})", EXIT_FAILED)
    if args.team_command not in _choices(conflict.kind, conflict.operation):
        return _fail(
            f"{args.conflict_id} is about {conflict.kind}: choose "
            + " or ".join(_choices(conflict.kind, conflict.operation)),
            EXIT_FAILED,
        )
    if args.team_command == "keep-both":
        changes = library.keep_both(conflict.id).changes
    elif args.team_command == "merge":
        merge = library.merge(conflict.id, prefer_theirs=args.prefer == "theirs")
        changes = library.save_merge(merge).changes
        out.write(merge.summary() + "\n")
        for clash in merge.clashes:
            out.write(f"  {clash.field}, {conflict.theirs_actor}'s: {clash.theirs[:200]}\n")
    elif args.team_command == "apply-mine":
        changes = library.apply_mine_anyway(conflict.id)
    else:
        changes = library.keep_theirs(conflict.id)
    out.write((changes.description or "Done.") + "\n")
    share_at_once(workspace)
    return EXIT_OK


def _share_view(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    wanted = args.view_name.casefold()
    view = next((v for v in workspace.inbox.saved_views() if v.name.casefold() == wanted), None)
    if view is None:
        return _fail(f"there is no saved view called “{args.view_name}”", EXIT_FAILED)
    team = args.team_command == "share-view"
    workspace.inbox.update_view(dataclasses.replace(view, team=team))
    out.write(
        f"“{view.name}” is a team view: every teammate's laptop has it.\n"
        if team
        else f"“{view.name}” is yours only again.\n"
    )
    share_at_once(workspace)
    return EXIT_OK


def _server_config(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    from app.team.permissions import server_config

    teams: dict[str, list[tuple[str, str]]] = {}
    for given in args.team:
        team, _, users = given.partition("=")
        names = [user.strip() for user in users.split(",") if user.strip()]
        if not team.strip() or not names:
            return _fail(f"--team {given!r}: write it as TEAM=USER,USER", EXIT_FAILED)
        try:
            teams[check_team_name(team)] = [(name, "…") for name in names]
        except TeamNameError as problem:
            return _fail(str(problem), EXIT_FAILED)
    out.write("# Put each member's password where it says “…”.\n")
    out.write(server_config(args.account, teams))
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


def share_at_once(
    workspace: Workspace,
    err: TextIO = sys.stderr,
    *,
    replies: Sequence[OutboxItem] = (),
    ended: Sequence[OutboxItem] = (),
) -> None:
    """After a change from the command line: publish it now, or say it waits (offline).
    `replies` the command queued (or sent) show teammates "has a reply queued" (or no more);
    `ended`: replies taken out of the outbox (discarded, back to a draft)."""
    if workspace.team.membership() is None:
        return
    presence = workspace.team.presence_of_replies(replies)
    presence |= dict.fromkeys(workspace.team.presence_of_replies(ended))
    if workspace.team.facts().waiting == 0 and not presence:
        return
    try:
        workspace.team.exchange(connect_timeout=CLI_CONNECT_TIMEOUT_S, presence=presence)
    except TeamError as problem:
        waiting = workspace.team.facts().waiting
        print(
            f"heedful: the team's server did not answer ({problem}); {waiting} change(s) wait "
            "and go with the next 'heedful team sync' or the window.",
            file=err,
        )
