"""The `heedful` command line: the same core as the window, for scripts, tests and power users."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
import webbrowser
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from storage.errors import StoreError
from storage.records import Account, InboxRow, OutboxItem, OutboxState, utc_now

from app import __version__
from app.bootstrap import StartupOptions, Workspace, build_workspace
from app.cli.analyse import add_analyse_parser, run_analyse
from app.cli.budget import add_budget_parser, budget_command
from app.cli.report import add_report_commands, report_command, sla_command
from app.cli.requests import add_requests_parser, run_requests
from app.cli.snippets import (
    add_brand_commands,
    add_reply_options,
    add_snippet_commands,
    brand_command,
    prepare_reply,
    record_snippet_use,
    snippets_command,
)
from app.cli.team import add_team_parser, run_team, share_at_once
from app.cli.triage import add_triage_parser, run_triage
from app.compose.replies import ReplyRefused, describe_outbox_item
from app.inbox.qualifiers import help_lines
from app.inbox.search import parse_query
from app.inbox.service import InboxView, inbox_filter, mention_json
from app.logs import configure_logging
from app.networks.errors import NetworkError
from app.networks.registry import NETWORKS, NetworkInfo, SignIn, find_network
from app.networks.x.auth import DEFAULT_CALLBACK_PORT as X_CALLBACK_PORT
from app.paths import AppPaths
from app.secrets import KeyringUnavailable
from app.sync.outbox import outbox_line
from app.team.claims import held_by_text
from app.text.display import age, iso_time, one_line

EXIT_OK = 0
EXIT_FAILED = 1  # the command ran, but what it did failed (a reply refused, a sync error)
EXIT_STORE_PROBLEM = 2
EXIT_NETWORK_PROBLEM = 3
EXIT_NO_KEYRING = 4


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
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check that this installation works (demo data, search, keyring, window) and exit",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    views = [view.value for view in InboxView]

    inbox = commands.add_parser("inbox", help="the inbox")
    inbox_commands = inbox.add_subparsers(dest="inbox_command", metavar="COMMAND", required=True)
    # Every qualifier, with an example and its values, under the commands that take them.
    qualifier_help = "qualifiers:\n" + "\n".join(f"  {line}" for line in help_lines())
    listing = inbox_commands.add_parser(
        "list",
        help="list mentions, newest first",
        epilog=qualifier_help,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.add_argument("--limit", type=_positive, default=50, metavar="N")
    listing.add_argument("--view", choices=views, default=InboxView.OPEN.value)
    listing.add_argument(
        "--filter",
        default="",
        metavar="QUERY",
        help='qualifiers and words, e.g. "tag:billing lang:nb"',
    )

    search = commands.add_parser(
        "search",
        help="find mentions by words or author",
        epilog=qualifier_help,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    search.add_argument("text", metavar="TEXT")
    search.add_argument("--json", action="store_true", help="print a JSON array")
    search.add_argument("--limit", type=_positive, default=50, metavar="N")
    search.add_argument("--view", choices=views, default=InboxView.ALL.value)

    accounts = commands.add_parser("accounts", help="the brand's accounts")
    account_commands = accounts.add_subparsers(
        dest="accounts_command", metavar="COMMAND", required=True
    )
    account_list = account_commands.add_parser("list", help="each account and its state")
    account_list.add_argument("--json", action="store_true", help="print a JSON array")
    add_budget_parser(account_commands)
    add = account_commands.add_parser("add", help="connect an account")
    add_networks = add.add_subparsers(dest="network", metavar="NETWORK", required=True)
    for network in NETWORKS:
        _SIGN_IN_OPTIONS[network.sign_in](
            add_networks.add_parser(network.name, help=network.sign_in_help), network
        )

    sync = commands.add_parser("sync", help="fetch new mentions and send queued replies")
    sync.add_argument("--account", type=int, metavar="ID", help="only this account")
    sync.add_argument("--once", action="store_true", help="sync once and exit (default: repeat)")

    reply = commands.add_parser("reply", help="reply in-thread to a mention")
    reply.add_argument("mention_id", type=int, metavar="MENTION_ID")
    reply.add_argument("--text", help="the reply (or what goes before the snippet)")
    reply.add_argument("--direct", action="store_true", help="as a private message")
    add_reply_options(reply)
    add_snippet_commands(commands)
    add_brand_commands(commands)

    outbox = commands.add_parser("outbox", help="replies queued, sent and failed")
    outbox_commands = outbox.add_subparsers(dest="outbox_command", metavar="COMMAND", required=True)
    outbox_list = outbox_commands.add_parser("list", help="every reply in the outbox")
    outbox_list.add_argument("--json", action="store_true", help="print a JSON array")
    add_triage_parser(commands)
    add_requests_parser(commands)
    add_analyse_parser(commands)
    add_team_parser(commands)
    add_report_commands(commands)
    return parser


def _browser_sign_in_options(parser: argparse.ArgumentParser, network: NetworkInfo) -> None:
    if network.default_server is None:
        parser.add_argument("--server", required=True, help="e.g. mastodon.social")
    else:
        parser.add_argument("--server", default=network.default_server, help="your server")
    parser.add_argument(
        "--oob", action="store_true", help="paste a code instead of returning to this computer"
    )
    parser.add_argument(
        "--no-browser", action="store_true", help="print the sign-in address, open nothing"
    )


def _app_password_options(parser: argparse.ArgumentParser, network: NetworkInfo) -> None:
    parser.add_argument("--handle", required=True, help=f"e.g. {network.handle_example}")
    parser.add_argument("--server", default=network.default_server, help="your PDS")


def _own_app_options(parser: argparse.ArgumentParser, network: NetworkInfo) -> None:
    parser.add_argument(
        "--client-id",
        help="your X app's OAuth 2.0 client id (needed once; kept in the keyring)",
    )
    parser.add_argument(
        "--port",
        type=int,
        help=f"the port of the callback address registered in your app (default {X_CALLBACK_PORT})",
    )
    parser.add_argument("--server", default=network.default_server, help=argparse.SUPPRESS)
    parser.add_argument(
        "--oob",
        action="store_true",
        help="paste the address the browser ends on instead of returning to this computer",
    )
    parser.add_argument(
        "--no-browser", action="store_true", help="print the sign-in address, open nothing"
    )


_SIGN_IN_OPTIONS: dict[SignIn, Callable[[argparse.ArgumentParser, NetworkInfo], None]] = {
    SignIn.BROWSER: _browser_sign_in_options,
    SignIn.APP_PASSWORD: _app_password_options,
    SignIn.OWN_APP: _own_app_options,
}


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def startup_options(args: argparse.Namespace, *, window: bool) -> StartupOptions:
    return StartupOptions(home=args.home, demo=args.demo, demo_when_no_accounts=window)


def run_command(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    if args.command in ("analyse", "analyze"):  # stores nothing: no workspace, no log files
        return run_analyse(args, out)
    try:
        configure_logging(AppPaths.resolve(args.home).log_dir, verbose=args.verbose)
    except OSError as error:
        return _fail(
            f"cannot write to {error.filename or args.home} ({error.strerror}). Choose a "
            "folder you can write to with --home or HEEDFUL_HOME.",
            EXIT_STORE_PROBLEM,
        )
    try:
        workspace = build_workspace(startup_options(args, window=False))
    except StoreError as error:
        return _fail(str(error), EXIT_STORE_PROBLEM)
    commands: dict[str, Callable[[Workspace, argparse.Namespace, TextIO], int]] = {
        "inbox": _inbox,
        "search": _search,
        "accounts": _accounts,
        "sync": _sync,
        "reply": _reply,
        "outbox": _outbox,
        "triage": _triage_and_share,
        "team": run_team,
        "snippets": snippets_command,
        "brand": brand_command,
        "requests": run_requests,
        "report": report_command,
        "sla": _sla_and_share,
    }
    try:
        return commands[args.command](workspace, args, out)
    except StoreError as error:
        return _fail(str(error), EXIT_STORE_PROBLEM)
    except KeyringUnavailable as error:
        return _fail(str(error), EXIT_NO_KEYRING)
    except NetworkError as error:
        return _fail(str(error), EXIT_NETWORK_PROBLEM)
    except KeyboardInterrupt:
        return _fail("stopped", EXIT_FAILED)
    finally:
        workspace.close()


def _triage_and_share(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    """In a workspace joined to a team, triage from the command line is published at once
    (or waits in the team outbox while the team's server cannot be reached)."""
    code = run_triage(workspace, args, out)
    share_at_once(workspace)
    return code


def _sla_and_share(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    code = sla_command(workspace, args, out)
    share_at_once(workspace)  # in a team, the brand's service levels are the team's
    return code


def _fail(message: str, code: int) -> int:
    print(f"heedful: {message}", file=sys.stderr)
    return code


def _refuse_in_demo(workspace: Workspace) -> int | None:
    if workspace.is_demo:
        return _fail(
            "the demo workspace is for trying Heedful: nothing in it is fetched or sent. "
            "Add your own account first (without --demo): "
            + " or ".join(f"'{_add_example(network)}'" for network in NETWORKS)
            + ".",
            EXIT_FAILED,
        )
    return None


def _add_example(network: NetworkInfo) -> str:
    if network.sign_in is SignIn.OWN_APP:
        return f"heedful accounts add {network.name} --client-id YOUR_CLIENT_ID"
    if network.sign_in is SignIn.APP_PASSWORD:
        you = "YOU." + network.handle_example.partition(".")[2]
        return f"heedful accounts add {network.name} --handle {you}"
    return f"heedful accounts add {network.name} --server YOUR.SERVER"


# --- inbox and search -----------------------------------------------------------------------


def _inbox(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    problems = parse_query(args.filter).problems
    if problems:
        return _fail("; ".join(problems), EXIT_FAILED)
    view = inbox_filter(InboxView(args.view), args.filter, agent_name=workspace.settings.agent_name)
    rows = workspace.inbox.list_rows(view, args.limit)
    _print_rows(rows, out, as_json=args.json)
    if not rows and not args.json:
        print(f"No mentions in the {args.view} view.", file=sys.stderr)
    return EXIT_OK


def _search(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    parsed = parse_query(args.text)
    if parsed.problems:
        return _fail("; ".join(parsed.problems), EXIT_FAILED)
    view = inbox_filter(InboxView(args.view), args.text, agent_name=workspace.settings.agent_name)
    if view.match is None and not parsed.has_qualifiers:
        if args.json:
            _dump([], out)
        return _fail(
            "nothing to search for in that text (type words, @author or a qualifier like tag:x)",
            EXIT_OK,
        )
    rows = workspace.inbox.list_rows(view, args.limit)
    _print_rows(rows, out, as_json=args.json)
    if not rows and not args.json:
        print("No mentions match.", file=sys.stderr)
    return EXIT_OK


def _print_rows(rows: Sequence[InboxRow], out: TextIO, *, as_json: bool) -> None:
    if as_json:
        _dump([mention_json(row) for row in rows], out)
        return
    now = utc_now()
    for row in rows:
        out.write(
            f"{row.id:>7}  {age(row.inbox_time, now):>6}  {row.network.value:<8}  "
            f"{row.status.value:<7}  {row.kind.value:<7}  {(row.language or '?'):<3} "
            f"{one_line(row.author_handle, 28):<28}  {one_line(row.text, 90)}\n"
        )


def _dump(value: Any, out: TextIO) -> None:
    json.dump(value, out, ensure_ascii=False, indent=2)
    out.write("\n")


# --- accounts -------------------------------------------------------------------------------


def _accounts(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    if args.accounts_command == "list":
        accounts = workspace.account_service.all()
        if args.json:
            _dump([account_json(account) for account in accounts], out)
        elif not accounts:
            print("No accounts yet: add one with 'heedful accounts add'.", file=sys.stderr)
        for account in [] if args.json else accounts:
            synced = age(account.last_synced_at, utc_now()) if account.last_synced_at else "never"
            detail = one_line(account.state_detail, 80)
            out.write(
                f"{account.id:>4}  {account.network.value:<8}  {account.handle:<36}  "
                f"{account.state.value:<13}  synced {synced}  {detail}\n"
            )
        return EXIT_OK
    if args.accounts_command == "budget":
        return budget_command(workspace, args, out)
    if (refused := _refuse_in_demo(workspace)) is not None:
        return refused
    network = find_network(args.network)
    assert network is not None  # argparse offers only the registry's networks
    return _SIGN_IN[network.sign_in](workspace, args, out)


def _sign_in_with_app_password(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    if sys.stdin.isatty():
        password = getpass.getpass(f"App password for {args.handle}: ")
    else:
        password = sys.stdin.readline().strip()
    if not password:
        return _fail(
            "no app password given: create one in Bluesky (Settings → Privacy and "
            "security → App passwords) and type or pipe it in",
            EXIT_FAILED,
        )
    added = workspace.account_service.add_bluesky(args.handle, password, args.server)
    out.write(f"Added {added.handle} on {added.server} (account {added.id}).\n")
    return EXIT_OK


def _sign_in_with_browser(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    sign_in = workspace.account_service.begin_mastodon_sign_in(args.server, out_of_band=args.oob)
    address = sign_in.start()
    out.write(f"Open this address in your browser to sign in:\n  {address}\n")
    out.flush()
    if args.oob:
        token = sign_in.finish(input("Paste the code the server shows you: "))
    else:
        if not args.no_browser:
            webbrowser.open(address)
        out.write("Waiting for the browser...\n")
        out.flush()
        token = sign_in.wait_for_browser()
    account = workspace.account_service.finish_mastodon_sign_in(sign_in.server, token)
    out.write(f"Added {account.handle} on {account.server} (account {account.id}).\n")
    return EXIT_OK


def _sign_in_with_own_app(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    sign_in = workspace.account_service.begin_x_sign_in(
        args.client_id, server=args.server, port=args.port, pasted=args.oob
    )
    address = sign_in.start()
    out.write(
        f"Your X app must list this callback address: {sign_in.redirect_uri}\n"
        f"Open this address in your browser to sign in:\n  {address}\n"
    )
    out.flush()
    if args.oob:
        tokens = sign_in.finish_from_address(input("Paste the address your browser ended on: "))
    else:
        if not args.no_browser:
            webbrowser.open(address)
        out.write("Waiting for the browser...\n")
        out.flush()
        tokens = sign_in.wait_for_browser()
    account = workspace.account_service.finish_x_sign_in(sign_in, tokens)
    out.write(f"Added @{account.handle} on X (account {account.id}).\n")
    return EXIT_OK


_SIGN_IN: dict[SignIn, Callable[[Workspace, argparse.Namespace, TextIO], int]] = {
    SignIn.BROWSER: _sign_in_with_browser,
    SignIn.APP_PASSWORD: _sign_in_with_app_password,
    SignIn.OWN_APP: _sign_in_with_own_app,
}


def account_json(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "network": account.network.value,
        "server": account.server,
        "handle": account.handle,
        "display_name": account.display_name,
        "state": account.state.value,
        "state_detail": account.state_detail,
        "last_synced_at": iso_time(account.last_synced_at),
    }


# --- sync, reply, outbox ----------------------------------------------------------------------


def _sync(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    if (refused := _refuse_in_demo(workspace)) is not None:
        return refused
    while True:
        reports = workspace.sync.sync_all(args.account)
        if not reports:
            return _fail("no account to sync: add one with 'heedful accounts add'", EXIT_FAILED)
        for report in reports:
            out.write(
                f"{report.account.handle}: {report.added} new, {report.sent} sent, "
                f"{report.failed} failed, {report.skipped} skipped"
                + (f", {report.held} held by a teammate's reply" if report.held else "")
                + f" — {report.state.value}"
                f"{': ' + report.detail if report.detail else ''}\n"
            )
        now = utc_now()
        for channel in workspace.health.channels():
            if args.account in (None, channel.account.id):
                out.write(f"  health: {channel.summary(now)}\n")
        out.flush()
        share_at_once(workspace)  # replies sent: the team hears it (and their "queued" ends)
        if args.once:
            healthy = all(report.state.value == "ok" for report in reports)
            return EXIT_OK if healthy else EXIT_FAILED
        time.sleep(workspace.settings.sync_interval_seconds)


def _reply(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    if not args.dry_run and (refused := _refuse_in_demo(workspace)) is not None:
        return refused
    prepared = prepare_reply(workspace, args, out)  # the composer's text and guardrails
    if isinstance(prepared, int):
        return prepared
    text, snippet_id = prepared
    try:
        item = workspace.replies.queue(args.mention_id, text, direct=args.direct).item
    except ReplyRefused as error:
        return _fail(str(error), EXIT_FAILED)
    except KeyError:
        return _fail(f"there is no mention {args.mention_id}", EXIT_FAILED)
    record_snippet_use(workspace, snippet_id, args.mention_id)
    share_at_once(workspace, replies=[item])  # teammates' windows: "Kari has a reply queued"
    report = workspace.sync.sync_account(workspace.accounts.get(item.account_id), pull=False)
    item = workspace.outbox.get(item.id)
    share_at_once(workspace, replies=[item])  # sent (the team hears it), or still queued
    out.write(describe_outbox_item(item) + "\n")
    if report.held and (hold := workspace.team.holds.get(item.id)) is not None:
        return _fail(
            f"held, nothing was posted: {held_by_text(hold)}. Choose with 'heedful team "
            f"send-anyway {item.id}', 'discard {item.id}' or 'edit {item.id}'.",
            EXIT_FAILED,
        )
    return EXIT_FAILED if item.state is OutboxState.FAILED else EXIT_OK


def _outbox(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    items = workspace.outbox.all()
    if args.json:
        _dump([outbox_json(item) for item in items], out)
        return EXIT_OK
    if not items:
        print("The outbox is empty.", file=sys.stderr)
    now = utc_now()
    for item in items:
        out.write(f"{item.id:>5}  {item.state.value:<8}  {one_line(item.body, 60):<60}  ")
        out.write(outbox_line(item, now).detail + "\n")
    return EXIT_OK


def outbox_json(item: OutboxItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "account_id": item.account_id,
        "mention_id": item.mention_id,
        "kind": item.kind,
        "text": item.body,
        "state": item.state.value,
        "attempts": item.attempts,
        "last_error": item.last_error,
        "next_attempt_at": iso_time(item.next_attempt_at),
        "detail": outbox_line(item, utc_now()).detail,
        "url": item.url,
        "created_at": iso_time(item.created_at),
        "sent_at": iso_time(item.sent_at),
    }


__all__ = ["Workspace", "build_parser", "run_command", "startup_options"]
