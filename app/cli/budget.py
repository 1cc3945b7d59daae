"""`heedful accounts budget`: the daily read budget and the prices of an account on a network
that bills per use (X), and what it spent today and this month."""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any, TextIO

from storage.records import Account

from app.bootstrap import Workspace
from app.networks.x.spend import PRICE_NAMES, UnitPrices
from app.sync.health import BudgetRefused, Spend

EXIT_OK = 0
EXIT_FAILED = 1

_PRICE_HELP = {
    "post_read": "each post read (and each post or media an answer includes)",
    "user_read": "each user read (the authors an answer includes)",
    "dm_read": "each direct message read",
    "post_created": "each post made",
    "post_with_link_created": "each post made with a link in it",
    "dm_created": "each direct message sent",
}


def _price_option(name: str) -> str:
    return "--price-" + name.replace("_", "-")


def _reads(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _dollars(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more US dollars")
    return value


def add_budget_parser(account_commands: Any) -> None:
    budget = account_commands.add_parser(
        "budget",
        help="the daily read budget and prices of an X account, and what it spent",
        description=(
            "X bills every post, user and message read and every post made. Syncing slows "
            "past 80% of the daily read budget and stops at it until 00:00 UTC; replies are "
            "sent whatever the budget. Without options: show the budget, prices and spend."
        ),
    )
    budget.add_argument("account", metavar="ACCOUNT", help="the account's id or handle")
    reads = budget.add_mutually_exclusive_group()
    reads.add_argument(
        "--reads-per-day", type=_reads, metavar="N", help="at most N reads per UTC day"
    )
    reads.add_argument("--no-read-budget", action="store_true", help="read without a budget")
    for name in PRICE_NAMES:
        budget.add_argument(
            _price_option(name),
            dest=f"price_{name}",
            type=_dollars,
            metavar="USD",
            help=f"your price for {_PRICE_HELP[name]} (default {getattr(UnitPrices(), name)})",
        )
    budget.add_argument(
        "--published-prices", action="store_true", help="forget your prices: X's published ones"
    )
    budget.add_argument("--json", action="store_true", help="print a JSON object")


def budget_command(workspace: Workspace, args: argparse.Namespace, out: TextIO) -> int:
    found = _find_accounts(workspace, args.account)
    if len(found) != 1:
        which = (
            f"no account {args.account!r}"
            if not found
            else f"{len(found)} accounts are called {args.account!r} (ids "
            + ", ".join(str(a.id) for a in found)
            + "): give the id"
        )
        print(f"heedful: {which}; 'heedful accounts list' shows them.", file=sys.stderr)
        return EXIT_FAILED
    (account,) = found
    prices = {
        name: getattr(args, f"price_{name}")
        for name in PRICE_NAMES
        if getattr(args, f"price_{name}") is not None
    }
    try:
        if args.published_prices:
            workspace.health.set_unit_prices(account.id, None)
        if prices:
            workspace.health.set_unit_prices(account.id, prices)
        if args.no_read_budget:
            workspace.health.set_read_budget(account.id, None)
        elif args.reads_per_day is not None:
            workspace.health.set_read_budget(account.id, args.reads_per_day)
        spend = workspace.health.spend(account)
        if spend is None:
            raise BudgetRefused(f"{account.handle} has no read budget or prices.")
    except BudgetRefused as refused:
        print(f"heedful: {refused}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        json.dump(_spend_json(account, spend), out, indent=2)
        out.write("\n")
    else:
        budget = spend.limits.daily_read_budget
        out.write(
            f"@{account.handle} on X (account {account.id})\n"
            f"  read budget: {'none' if budget is None else f'{budget:,} reads per UTC day'}"
            f"; {spend.budget_text()}\n"
            f"  spent: {spend.text()}\n"
            "  prices (US dollars"
            + (", yours" if spend.limits.unit_prices else ", X's published")
            + "): "
            + ", ".join(f"{n.replace('_', ' ')} {getattr(spend.prices, n)}" for n in PRICE_NAMES)
            + "\n"
        )
    return EXIT_OK


def _find_accounts(workspace: Workspace, wanted: str) -> list[Account]:
    accounts = workspace.account_service.all()
    if wanted.isdigit():
        return [a for a in accounts if a.id == int(wanted)]
    handle = wanted.removeprefix("@").casefold()
    return [a for a in accounts if a.handle.casefold() == handle]


def _spend_json(account: Account, spend: Spend) -> dict[str, Any]:
    def counts(which: Any) -> dict[str, Any]:
        return {
            "post_reads": which.post_reads,
            "user_reads": which.user_reads,
            "dm_reads": which.dm_reads,
            "reads": which.reads,
            "posts_created": which.posts_created,
            "posts_with_link": which.posts_with_link,
            "dms_created": which.dms_created,
            "requests": which.requests,
            "estimated_cost_usd": round(spend.prices.cost(which), 4),
        }

    return {
        "account": account.id,
        "handle": account.handle,
        "daily_read_budget": spend.limits.daily_read_budget,
        "prices_usd": {name: getattr(spend.prices, name) for name in PRICE_NAMES},
        "prices_are_yours": bool(spend.limits.unit_prices),
        "today": counts(spend.today),
        "month": counts(spend.month),
    }
