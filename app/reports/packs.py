"""Packing a day's facts into columns (one little-endian array per column), and reading packs
back as numpy arrays the report engine adds up.

Per fact (one row per mention of the day, in mention id order): `id`, `created`, `how` (hour of
week), `target`, `state`, `due`, `resp_at`, `resp_s`, `resp_bs`, `via`, `done_at`, `done_s`,
`done_bs`, `reopened`, and `dim_<name>` for each one-valued dimension. Missing instants are
NaN, missing durations −1 (durations are whole seconds, rounded).
Per open interval: `open_fact` (the fact's row in the day), `open_start`, `open_end` (inf: still
open). Per reply: `reply_fact`, `reply_at`, `reply_agent` (an agent code), `reply_via`,
`reply_first` (1 for the first response). Per pair of a many-valued dimension (tags):
`<name>_fact`, `dim_<name>`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from storage.reports.facts import read_timeline
from storage.reports.packs import PackDay, PackRepository

from app.reports.dimensions import Dimension

PACK_VERSION = 1

STATES = ("none", "met", "late", "running", "paused", "closed", "breached")
STATE_CODES = {state: code for code, state in enumerate(STATES)}
VIAS = (None, "heedful", "thread")
VIA_CODES = {via: code for code, via in enumerate(VIAS)}

FACT_COLUMNS: dict[str, str] = {
    "id": "<i8",
    "created": "<f8",
    "how": "<i2",
    "target": "<i4",
    "state": "<i1",
    "due": "<f8",
    "resp_at": "<f8",
    "resp_s": "<i4",
    "resp_bs": "<i4",
    "via": "<i1",
    "done_at": "<f8",
    "done_s": "<i4",
    "done_bs": "<i4",
    "reopened": "<i2",
}
DIMENSION_TYPE = "<i4"
OPEN_COLUMNS = {"open_fact": "<i4", "open_start": "<f8", "open_end": "<f8"}
REPLY_COLUMNS = {
    "reply_fact": "<i4",
    "reply_at": "<f8",
    "reply_agent": "<i4",
    "reply_via": "<i1",
    "reply_first": "<i1",
}

Array = npt.NDArray[Any]


def column_types(dimensions: Sequence[Dimension]) -> dict[str, str]:
    """Every pack column and its numpy dtype, for these dimensions."""
    types = dict(FACT_COLUMNS)
    for dimension in dimensions:
        if dimension.multi:
            types[f"{dimension.name}_fact"] = "<i4"
        types[dimension.column] = DIMENSION_TYPE
    types.update(OPEN_COLUMNS)
    types.update(REPLY_COLUMNS)
    return types


def pack_day(packs: PackRepository, brand: str, day: str, dimensions: Sequence[Dimension]) -> bool:
    """Pack one brand's day from its stored facts (inside a write transaction). False when
    the day has no facts any more (its pack is removed)."""
    singles = [d for d in dimensions if not d.multi]
    values = {d.column: d.value_sql for d in singles if d.value_sql is not None}
    names, rows = packs.day_rows(brand, day, values)
    if not rows:
        packs.delete_day(brand, day)
        return False
    column = dict(zip(names, zip(*rows, strict=True), strict=True))
    blobs = {
        "id": _blob(column["mention_id"], FACT_COLUMNS["id"]),
        "created": _blob(column["created"], FACT_COLUMNS["created"]),
        "how": _blob(column["hour_of_week"], FACT_COLUMNS["how"]),
        "target": _blob([-1 if v is None else v for v in column["target_seconds"]], "<i4"),
        "state": _blob([STATE_CODES[v] for v in column["sla_state"]], "<i1"),
        "due": _instants(column["due_at"]),
        "resp_at": _instants(column["first_response_at"]),
        "resp_s": _durations(column["response_seconds"]),
        "resp_bs": _durations(column["response_business_seconds"]),
        "via": _blob([VIA_CODES[v] for v in column["response_via"]], "<i1"),
        "done_at": _instants(column["first_done_at"]),
        "done_s": _durations(column["done_seconds"]),
        "done_bs": _durations(column["done_business_seconds"]),
        "reopened": _blob(column["reopened"], FACT_COLUMNS["reopened"]),
    }
    opens: dict[str, list[Any]] = {name: [] for name in OPEN_COLUMNS}
    replies: dict[str, list[Any]] = {name: [] for name in REPLY_COLUMNS}
    reply_agents: list[str] = []
    for row_index, text in enumerate(column["timeline"]):
        open_intervals, reply_list = read_timeline(text)
        for start, end in open_intervals:
            opens["open_fact"].append(row_index)
            opens["open_start"].append(start)
            opens["open_end"].append(math.inf if end is None else end)
        for position, (reply_at, agent, via) in enumerate(reply_list):
            replies["reply_fact"].append(row_index)
            replies["reply_at"].append(reply_at)
            reply_agents.append(str(agent))
            replies["reply_via"].append(VIA_CODES[via])
            replies["reply_first"].append(int(position == 0))
    for dimension in singles:
        raw = column[dimension.column]
        if dimension.coded:
            texts = ["" if value is None else str(value) for value in raw]
            codes = _codes(packs, dimension.name, texts)
            blobs[dimension.column] = _blob([codes[text] for text in texts], DIMENSION_TYPE)
        else:
            ids = [-1 if value is None else int(value) for value in raw]
            blobs[dimension.column] = _blob(ids, DIMENSION_TYPE)
    agent_codes = _codes(packs, "agent", reply_agents)
    replies["reply_agent"] = [agent_codes[agent] for agent in reply_agents]
    blobs.update({name: _blob(v, OPEN_COLUMNS[name]) for name, v in opens.items()})
    blobs.update({name: _blob(v, REPLY_COLUMNS[name]) for name, v in replies.items()})
    row_of = {mention_id: index for index, mention_id in enumerate(column["mention_id"])}
    for dimension in dimensions:
        if dimension.pairs_sql is None:
            continue
        pairs = packs.day_pairs(column["mention_id"], dimension.pairs_sql)
        blobs[f"{dimension.name}_fact"] = _blob([row_of[m] for m, _ in pairs], "<i4")
        blobs[dimension.column] = _blob([value for _, value in pairs], DIMENSION_TYPE)
    ends = opens["open_end"]
    packs.write_day(
        PackDay(
            brand=brand,
            day=day,
            facts=len(rows),
            # None: still open work; 0: none ever (imported as done), so never read again.
            open_until=0.0 if not ends else None if math.inf in ends else max(ends),
            replies_until=max(replies["reply_at"]) if replies["reply_at"] else None,
        ),
        blobs,
    )
    return True


def _instants(values: Sequence[float | None]) -> bytes:
    return _blob([math.nan if v is None else v for v in values], "<f8")


def _durations(values: Sequence[float | None]) -> bytes:
    """Whole seconds, −1 for none."""
    return _blob([-1 if v is None else round(v) for v in values], "<i4")


def _codes(packs: PackRepository, dimension: str, texts: Sequence[str]) -> dict[str, int]:
    known = packs.codes(dimension)
    missing = sorted(set(texts) - set(known))
    return packs.add_codes(dimension, missing) if missing else known


def _blob(values: Sequence[Any], dtype: str) -> bytes:
    return np.asarray(values, dtype=dtype).tobytes()


def read_columns(
    packs: PackRepository,
    brand: str,
    days: Sequence[str],
    names: Sequence[str],
    types: dict[str, str],
) -> dict[str, list[Array]]:
    """Per column, one array per day (in `days` order; a day without the column, e.g. a pack
    from before a dimension existed, reads as empty)."""
    found: dict[str, list[Array]] = {}
    for name in names:
        by_day = dict(packs.column(brand, name, days))
        empty = np.zeros(0, dtype=types[name])
        found[name] = [
            np.frombuffer(by_day[day], dtype=types[name]) if day in by_day else empty
            for day in days
        ]
    return found
