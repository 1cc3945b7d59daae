"""`heedful snippets list|import|export` and `heedful reply … --snippet`: the composer's rendering
and guardrails, on the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from storage.records import utc_now
from storage.snippets import Snippet

from app.bootstrap import Workspace
from app.compose.brand import BrandProfile
from app.compose.guardrails import Finding, blocking
from app.compose.replies import is_private
from app.compose.snippets import PackError, snippet_json
from app.text.display import one_line

EXIT_OK = 0
EXIT_FAILED = 1


def add_snippet_commands(commands: Any) -> None:
    """Register `snippets …` on the top-level subcommands."""
    snippets = commands.add_parser("snippets", help="saved replies (snippets)")
    snippet_commands = snippets.add_subparsers(
        dest="snippets_command", metavar="COMMAND", required=True
    )
    listing = snippet_commands.add_parser("list", help="every snippet, by folder")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.add_argument("--search", metavar="TEXT", help="only those matching (fuzzy)")
    importing = snippet_commands.add_parser(
        "import", help="add the snippets of a pack (.json) or a spreadsheet (.csv)"
    )
    importing.add_argument("file", type=Path, metavar="FILE")
    exporting = snippet_commands.add_parser("export", help="write every snippet as a JSON pack")
    exporting.add_argument("file", type=Path, nargs="?", metavar="FILE", help="default: stdout")
    exporting.add_argument("--name", default="", help="the pack's name")


def add_brand_commands(commands: Any) -> None:
    brand = commands.add_parser("brand", help="the brand's voice: name, sign-off, phrases to avoid")
    brand_commands = brand.add_subparsers(dest="brand_command", metavar="COMMAND", required=True)
    brand_commands.add_parser("show", help="print the brand profile as JSON")
    load = brand_commands.add_parser("load", help="set the brand profile from a JSON file")
    load.add_argument("file", type=Path, metavar="FILE")


def brand_command(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    if args.brand_command == "show":
        _dump(workspace.brand.profile().to_json(), out)
        return EXIT_OK
    try:
        data = json.loads(args.file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return _fail(f"cannot read {args.file}: {error}")
    if not isinstance(data, dict):
        return _fail(f"{args.file}: a brand profile is a JSON object")
    profile, ignored = BrandProfile.from_json_reporting(data)
    for problem in ignored:
        print(f"warning: {problem}", file=sys.stderr)
    workspace.brand.save(profile)
    out.write(f"Brand profile for {profile.name} saved.\n")
    return EXIT_OK


def add_reply_options(reply: argparse.ArgumentParser) -> None:
    reply.add_argument("--snippet", metavar="SHORTCUT", help="start from this snippet")
    reply.add_argument(
        "--fill",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="answer a fill-in, e.g. --fill 'order number=FF-123456' (repeatable)",
    )
    reply.add_argument(
        "--dry-run",
        action="store_true",
        help="print the text and every guardrail finding as JSON; queue nothing",
    )
    reply.add_argument(
        "--confirm-personal-data",
        action="store_true",
        help="post personal data in a public reply anyway",
    )


def snippets_command(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    service = workspace.snippets
    if args.snippets_command == "list":
        found = service.search(args.search) if args.search else service.all()
        if args.json:
            _dump(
                [{"id": s.id, **snippet_json(s), "usage_count": s.usage_count} for s in found], out
            )
            return EXIT_OK
        if not found:
            print(
                "No snippets: import a pack with 'heedful snippets import FILE'.", file=sys.stderr
            )
        for snippet in found:
            out.write(_snippet_line(snippet) + "\n")
        return EXIT_OK
    if args.snippets_command == "import":
        try:
            report = service.import_file(args.file)
        except PackError as error:
            return _fail(f"{args.file}: {error}")
        out.write(report.summary() + "\n")
        return EXIT_OK
    text = service.export_text(name=args.name)
    if args.file is None:
        out.write(text)
        return EXIT_OK
    try:
        args.file.write_text(text, encoding="utf-8")
    except OSError as error:
        return _fail(f"cannot write {args.file}: {error.strerror}")
    out.write(f"{service.repository.count()} snippets written to {args.file}.\n")
    return EXIT_OK


def _snippet_line(snippet: Snippet) -> str:
    shortcut = f"/{snippet.shortcut}" if snippet.shortcut else ""
    languages = sorted({v.language for v in snippet.variants if v.language})
    return (
        f"{snippet.id:>4}  {shortcut:<12}  {one_line(snippet.folder, 14):<14}  "
        f"{one_line(snippet.title, 30):<30}  {','.join(languages) or '-':<8}  "
        f"used {snippet.usage_count}"
    )


def parse_fills(pairs: list[str]) -> dict[str, str] | str:
    fills: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            return f"--fill needs KEY=VALUE, got {pair!r}"
        fills[key.strip()] = value
    return fills


def prepare_reply(
    workspace: Workspace, args: argparse.Namespace, out: TextIO
) -> tuple[str, int | None] | int:
    """The reply's text and snippet id after the guardrails, or an exit code to stop with.

    Prints the dry run, refuses blocking findings, prints warnings to stderr.
    """
    try:
        mention = workspace.composer.mention(args.mention_id)
    except KeyError:
        return _fail(f"there is no mention {args.mention_id}")
    fills = parse_fills(args.fill)
    if isinstance(fills, str):
        return _fail(fills)
    snippet_id: int | None = None
    text = args.text or ""
    if args.snippet:
        snippet = workspace.snippets.by_shortcut(args.snippet)
        if snippet is None:
            return _fail(
                f"no snippet has the shortcut /{args.snippet.lstrip('/')}: "
                "see 'heedful snippets list'"
            )
        rendered = workspace.composer.render_snippet(mention, snippet, fills).rendered.text
        text = f"{text} {rendered}".strip() if text else rendered
        snippet_id = snippet.id
    if not text.strip():
        return _fail("nothing to send: give --text or --snippet")
    findings = workspace.composer.findings(
        mention.id, text, direct=args.direct, confirmed=args.confirm_personal_data
    )
    if args.dry_run:
        _dump(
            # A reply to a direct message is private whatever was asked.
            {"mention_id": mention.id, "direct": args.direct or is_private(mention), "text": text,
             "as_posted": workspace.composer.as_posted(mention, text),
             "findings": [finding.as_json() for finding in findings],
             "would_queue": not blocking(findings)},
            out,
        )  # fmt: skip
        return EXIT_FAILED if blocking(findings) else EXIT_OK
    for finding in findings:
        _print_finding(finding)
    if blocking(findings):
        return _fail("not queued: fix what is marked 'blocks' above")
    return text, snippet_id


def record_snippet_use(workspace: Workspace, snippet_id: int | None, mention_id: int) -> None:
    if snippet_id is not None:
        workspace.snippets.record_use(snippet_id, mention_id, utc_now())


def _print_finding(finding: Finding) -> None:
    label = "blocks" if finding.blocking else "warning"
    fix = f" {finding.fix}" if finding.fix else ""
    print(f"{label}: {finding.message}{fix}", file=sys.stderr)


def _fail(message: str) -> int:
    print(f"heedful: {message}", file=sys.stderr)
    return EXIT_FAILED


def _dump(value: Any, out: TextIO) -> None:
    json.dump(value, out, ensure_ascii=False, indent=2)
    out.write("\n")
