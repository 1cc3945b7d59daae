"""`heedful report` (first response, service levels, volume, backlog over any period) and
`heedful sla` (each brand's targets, business hours and holidays)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from app.bootstrap import Workspace
from app.reports.query import FIGURE_NAMES, ReportQueryError

if TYPE_CHECKING:
    from app.reports.periods import Period

# The rest of app.reports (the engine needs numpy) loads when a report is asked for, never
# when the command line (or the window, which shares its parser) starts.
DIMENSIONS_HELP = "brand, network, account, agent, tag, language, kind (sentiment, cluster)"

EXIT_OK = 0
EXIT_FAILED = 1


def add_report_commands(commands: Any) -> None:
    report = commands.add_parser(
        "report",
        help="how fast and how well the brand answers, over any period",
        description="First-response times (calendar and business hours), service levels, "
        "time to done, reopened cases, replies per agent, volume by day and hour of the week, "
        "backlog and unanswered at each day's end. Days are each brand's local days.",
    )
    when = report.add_mutually_exclusive_group()
    when.add_argument(
        "--since", default="30d", metavar="PERIOD", help="today, 7d, 30d, 90d, Nd or all (30d)"
    )
    when.add_argument("--from", dest="first", metavar="DATE", help="first day, YYYY-MM-DD")
    report.add_argument("--to", dest="last", metavar="DATE", help="last day (default: today)")
    report.add_argument("--brand", action="append", default=[], metavar="BRAND")
    report.add_argument(
        "--filter",
        default="",
        metavar="QUERY",
        help='only these mentions, e.g. "network:bluesky kind:direct tag:billing"',
    )
    report.add_argument(
        "--by", metavar="DIMENSION", help=f"one set of figures per value of: {DIMENSIONS_HELP}"
    )
    output = report.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="every figure as JSON")
    output.add_argument("--csv", action="store_true", help="the rows behind one figure as CSV")
    report.add_argument(
        "--figure",
        choices=FIGURE_NAMES,
        default="summary",
        help="with --csv: which figure's rows (default summary)",
    )

    sla = commands.add_parser("sla", help="service-level targets, business hours and holidays")
    sla_commands = sla.add_subparsers(dest="sla_command", metavar="COMMAND", required=True)
    show = sla_commands.add_parser("show", help="a brand's service levels")
    show.add_argument("--brand", default="", metavar="BRAND", help="('' is the workspace)")
    show.add_argument("--json", action="store_true")
    load = sla_commands.add_parser("load", help="set a brand's service levels from a JSON file")
    load.add_argument("file", type=Path, metavar="FILE")
    load.add_argument("--brand", metavar="BRAND", help="the brand (default: the file's, or '')")


def _fail(message: str) -> int:
    print(f"heedful: {message}", file=sys.stderr)
    return EXIT_FAILED


def parse_filter(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """ "network:bluesky tag:billing tag:refund" → (("network", ("bluesky",)), ("tag", …)):
    several values of one dimension are any of them; dimensions all apply."""
    from app.reports.dimensions import REGISTRY

    found: dict[str, list[str]] = {}
    for word in text.split():
        name, colon, value = word.partition(":")
        if not colon or not name or not value:
            raise ReportQueryError(f"{word!r} is not dimension:value, e.g. network:bluesky.")
        dimension = REGISTRY.find(name)
        if dimension is None:
            raise ReportQueryError(
                f"Reports cannot filter by {name!r}: use {', '.join(REGISTRY.names())}."
            )
        found.setdefault(dimension.name, []).extend(value.split(","))
    return tuple((name, tuple(values)) for name, values in found.items())


def _period(args: argparse.Namespace) -> Period:
    from app.reports.periods import between, parse_date, since

    if args.first or args.last:
        first = parse_date(args.first) if args.first else None
        return between(first, parse_date(args.last) if args.last else None)
    return since(args.since)


class _Progress:
    """Says on stderr how a long recomputation is going (a first report after an upgrade
    computes the facts of every mention once)."""

    def __init__(self) -> None:
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        if total < 20_000:
            return
        tenth = 10 * done // total
        if tenth != self.shown:
            self.shown = tenth
            print(
                f"heedful: computing report facts, {done:,} of {total:,} mentions…",
                file=sys.stderr,
                flush=True,
            )


def report_command(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    from app.reports.export import report_csv, report_json, report_text
    from app.reports.periods import PeriodError
    from app.reports.query import ReportQuery
    from app.reports.service import ReportService

    service = ReportService(workspace.store)
    service.refresh(_Progress())
    try:
        filters = list(parse_filter(args.filter))
        if args.brand:
            filters.insert(0, ("brand", tuple(args.brand)))
        query = ReportQuery(period=_period(args), filters=tuple(filters), by=args.by)
        report = service.report(query)
    except (ReportQueryError, PeriodError) as error:
        return _fail(str(error))
    if args.json:
        json.dump(report_json(report), out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif args.csv:
        out.write(report_csv(report, args.figure))
    else:
        out.write(report_text(report))
    return EXIT_OK


def sla_command(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    from app.reports.service import ReportService
    from app.reports.sla import SlaSettings, SlaSettingsError, policy_json

    # The workspace's repository: in a team, a saved policy goes to the team too.
    service = ReportService(workspace.store, SlaSettings(workspace.sla_policies))
    if args.sla_command == "show":
        policy = service.settings.policy(args.brand)
        if args.json:
            json.dump(policy_json(policy), out, ensure_ascii=False, indent=2)
            out.write("\n")
            return EXIT_OK
        document = policy_json(policy)
        out.write(f"Brand {policy.brand or '(the workspace)'}, days in {policy.time_zone}\n")
        for target in document["targets"]:
            amount = target.get("minutes", target.get("seconds"))
            unit = "min" if "minutes" in target else "s"
            out.write(
                f"  first response within {amount} {unit}: {target['kind'] or 'any kind'}"
                f" on {target['network'] or 'any network'}\n"
            )
        if not document["targets"]:
            out.write("  no targets: reply times are measured, nothing is due\n")
        hours = document["hours"] or {"every day": ["around the clock"]}
        for day, shifts in hours.items():
            out.write(f"  {day}: {', '.join(shifts)}\n")
        for holiday in document["holidays"]:
            out.write(f"  closed {holiday['date']} {holiday['name']}\n".rstrip() + "\n")
        pause = "stops" if policy.pause_while_pending else "keeps running"
        out.write(f"  the clock {pause} while a mention is Pending\n")
        return EXIT_OK
    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return _fail(f"cannot read {args.file} ({error})")
    try:
        policy = service.settings.load_json(text, brand=args.brand)
    except SlaSettingsError as error:
        return _fail(f"{args.file}: {error}")
    changes = service.settings.save(policy)
    out.write(
        f"{changes.description}: {len(policy.targets)} targets, {len(policy.hours)} shifts,"
        f" {len(policy.holidays)} holidays, days in {policy.time_zone}.\n"
    )
    return EXIT_OK
