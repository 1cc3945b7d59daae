"""A headless teammate's laptop as its own process: the real team link, driven from stdin.

Run with HEEDFUL_HOME set to a workspace already joined to a team. It prints one JSON line
per thing that happens (`{"ready": ...}`, `{"status": ...}`, `{"applied": N, "seq": S}`,
`{"presence": {...}}`) and reads one command per line:

    view MENTION_ID | type MENTION_ID | queued MENTION_ID | leave MENTION_ID
    status MENTION_ID open|pending|done|new     (a triage change, published at once)
    quit

The tests kill it with SIGKILL to see a crashed laptop's presence expire.
"""

from __future__ import annotations

import json
import sys
import threading

from storage.records import TriageStatus
from storage.store import open_store

from app.bootstrap import StartupOptions, build_workspace
from app.team.apply import AppliedBatch
from app.team.presence import Activity, Presence
from app.team.runtime import TeamRuntime
from app.team.status import TeamStatus

_lock = threading.Lock()


def say(document: object) -> None:
    with _lock:
        sys.stdout.write(json.dumps(document) + "\n")
        sys.stdout.flush()


class Listener:
    def team_did_apply(self, batch: AppliedBatch) -> None:
        say({"applied": batch.applied, "seq": batch.last_seq, "rejected": batch.rejected})

    def team_status_did_change(self, status: TeamStatus) -> None:
        say({"status": {"connected": status.connected, "waiting": status.waiting}})

    def presence_did_change(self, presence: dict[str, list[Presence]]) -> None:
        say({"presence": {k: [p.sentence() for p in v] for k, v in presence.items()}})


def main() -> int:
    workspace = build_workspace(StartupOptions())
    membership = workspace.team.membership()
    assert membership is not None, "join a team first"
    runtime = TeamRuntime(
        lambda: open_store(workspace.profile.database, check_integrity=False),
        membership,
        workspace.team.credentials(),
        agent_name=lambda: workspace.settings.agent_name,
        listener=Listener(),
    )
    runtime.start()
    say({"ready": membership.user})
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        mention_id = int(words[1])
        key = workspace.team.key_of(mention_id)
        assert key is not None
        if words[0] == "status":
            workspace.triage.set_status([mention_id], TriageStatus(words[2]))
            runtime.nudge()
        elif words[0] == "leave":
            runtime.set_presence(key.digest, None)
        else:
            activity = {
                "view": Activity.VIEWING,
                "type": Activity.TYPING,
                "queued": Activity.QUEUED,
            }
            runtime.set_presence(key.digest, activity[words[0]])
        say({"done": line.strip()})
    runtime.stop()
    workspace.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
