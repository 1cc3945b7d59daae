"""A loopback Mastodon API that serves thousands of mention notifications fast.

mastodon-mock answers a page of 80 notifications in 2-3 s on a busy 2-core machine (about
0.1 s per status to create through its API, and no bulk route for mentions): a 5,000-mention
backfill from it would take minutes. This server answers the three calls a backfill makes,
shaped exactly like the real server's answers it was given:

- `GET /api/v1/accounts/verify_credentials`: the brand's account, as the mock served it;
- `GET /api/v1/notifications?min_id=&limit=`: N mention notifications, copies of one the mock
  served (new ids, times and texts), paged as Mastodon pages with `min_id` (the `limit`
  oldest above it, newest first);
- `GET /api/v2/instance`: a 500-character limit.

    python tests/replay_mastodon_server.py N RECORDED.json

RECORDED.json holds {"me": <account>, "notification": <a mention notification>}. It prints
its URL, then serves until its standard input closes. It runs as its own process so that
serving costs the test process (and its GUI thread) nothing.
"""

from __future__ import annotations

import copy
import json
import sys
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIRST_ID = 1_000_000


class Replay:
    def __init__(self, recorded: dict[str, Any], count: int) -> None:
        self.me = recorded["me"]
        self.template = recorded["notification"]
        self.count = count
        self.start = datetime.now(UTC) - timedelta(days=3)

    def notification(self, number: int) -> dict[str, Any]:
        item = copy.deepcopy(self.template)
        when = (self.start + timedelta(seconds=number)).isoformat().replace("+00:00", "Z")
        item["id"] = str(FIRST_ID + number)
        item["created_at"] = when
        status = item["status"]
        status["id"] = str(FIRST_ID * 10 + number)
        status["created_at"] = when
        status["content"] = f"<p>@{self.me['username']} complaint number {number}</p>"
        status["url"] = f"{status.get('url') or ''}-{number}"
        status["uri"] = f"{status.get('uri') or ''}-{number}"
        return item

    def page(self, min_id: int, limit: int) -> list[dict[str, Any]]:
        first = max(0, min_id - FIRST_ID + 1)
        numbers = range(first, min(self.count, first + limit))
        return [self.notification(number) for number in reversed(numbers)]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    replay: Replay

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == "/api/v1/accounts/verify_credentials":
            self.send_json(self.replay.me)
        elif url.path == "/api/v1/notifications":
            min_id = int(query.get("min_id", ["0"])[0] or 0)
            limit = min(80, int(query.get("limit", ["40"])[0]))
            self.send_json(self.replay.page(min_id, limit))
        elif url.path == "/api/v2/instance":
            self.send_json({"configuration": {"statuses": {"max_characters": 500}}})
        else:
            self.send_json({"error": "Record not found"}, 404)

    def send_json(self, payload: Any, status: int = 200) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main(count: int, recorded_path: str) -> int:
    with open(recorded_path, encoding="utf-8") as recorded:
        Handler.replay = Replay(json.load(recorded), count)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    sys.stdin.read()  # until the test closes it (or dies)
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), sys.argv[2]))
