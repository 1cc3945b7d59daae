"""What a team member may publish and subscribe to on a NATS server shared with other teams in
one account: the team's own subjects, stream, buckets and reply inbox, nothing else.

A team that has the server (or an account) to itself needs none of this. Where several teams
share one account, each member's user gets `member_permissions(team)`: another team's member
then hears none of this team's messages (its events, claims, presence, or the server's
answers to this team's members, which come to the team's own inbox prefix) and can publish
none. `server_config` writes the block for nats-server's configuration file (the README shows
it for a team called `care`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from app.team.wire import TeamLayout, check_team_name


def inbox_prefix(layout: TeamLayout) -> str:
    """Where the server's answers to a member of the team come: under the team's prefix, so
    only the team's members may listen there."""
    return f"{layout.prefix}.in"


def member_permissions(team: str) -> dict[str, dict[str, list[str]]]:
    layout = TeamLayout(check_team_name(team))
    stream = layout.stream
    buckets = (layout.claims_bucket, layout.presence_bucket)
    publish = [
        f"{layout.prefix}.ev.>",  # the team's events
        *(f"$KV.{bucket}.>" for bucket in buckets),  # claims and presence entries
        # The JetStream API for the team's own stream and buckets only: made by whoever comes
        # first (create), read (info, fetch, get), presence widened to per-entry lifetimes.
        f"$JS.API.STREAM.INFO.{stream}",
        f"$JS.API.STREAM.CREATE.{stream}",
        f"$JS.API.CONSUMER.CREATE.{stream}",
        f"$JS.API.CONSUMER.CREATE.{stream}.>",
        f"$JS.API.CONSUMER.MSG.NEXT.{stream}.>",
        f"$JS.API.CONSUMER.DELETE.{stream}.>",
    ]
    for bucket in buckets:
        kv = f"KV_{bucket}"
        publish += [
            f"$JS.API.STREAM.INFO.{kv}",
            f"$JS.API.STREAM.CREATE.{kv}",
            f"$JS.API.STREAM.UPDATE.{kv}",
            f"$JS.API.STREAM.MSG.GET.{kv}",
            f"$JS.API.DIRECT.GET.{kv}",
            f"$JS.API.DIRECT.GET.{kv}.>",
            f"$JS.API.CONSUMER.CREATE.{kv}",
            f"$JS.API.CONSUMER.CREATE.{kv}.>",
            f"$JS.API.CONSUMER.DELETE.{kv}.>",
            f"$JS.FC.{kv}.>",
        ]
    subscribe = [
        f"{layout.prefix}.>",  # the team's events and its members' reply inbox
        f"$KV.{layout.presence_bucket}.>",  # presence as it changes
    ]
    return {"publish": {"allow": publish}, "subscribe": {"allow": subscribe}}


def server_config(
    account: str, teams: Mapping[str, Sequence[tuple[str, str]]], *, jetstream: bool = True
) -> str:
    """nats-server configuration for one account shared by teams: a permissions variable per
    team, and each member (user, password) held to their team's."""
    blocks = []
    users = []
    for team, members in teams.items():
        name = f"{check_team_name(team).upper().replace('-', '_')}_MEMBER"
        permissions = member_permissions(team)
        blocks.append(
            f"# A member of team {team} may use its subjects only.\n{name}: {{\n"
            + "".join(
                f"  {verb}: {{allow: [\n"
                + "".join(f"    {json.dumps(subject)},\n" for subject in permissions[verb]["allow"])
                + "  ]}\n"
                for verb in ("publish", "subscribe")
            )
            + "}\n"
        )
        users += [
            f"    {{user: {json.dumps(user, ensure_ascii=False)}, "
            f"password: {json.dumps(password, ensure_ascii=False)}, permissions: ${name}}}"
            for user, password in members
        ]
    js = "jetstream: enabled, " if jetstream else ""
    return (
        "\n".join(blocks)
        + f"accounts {{\n  {account}: {{ {js}users: [\n"
        + ",\n".join(users)
        + "\n  ]}\n}\n"
    )
