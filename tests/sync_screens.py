"""Screenshots of the outbox window and the channel health panel on a real X screen (Xvfb).

`python -m tests.sync_screens FOLDER` saves outbox.png and channel-health.png into FOLDER.
A child process opens the window over a workspace filled with accounts in different states
and replies in every outbox state; it says when each panel is on screen, and the picture is
taken from outside, as with tests/screens.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from tests.screens import grab_screen, virtual_display


def seed(home: Path) -> None:
    """Two accounts (one fine, one rate-limited) and four replies: sent, failed, queued with a
    next attempt, sending."""
    from storage.accounts import AccountHealthRepository
    from storage.records import AccountState, Network, NewAccount, utc_now

    from app.bootstrap import StartupOptions, build_workspace

    from tests.factories import author, mention

    workspace = build_workspace(StartupOptions(home=home))
    now = utc_now()
    toot = workspace.accounts.add(
        NewAccount(Network.MASTODON, "https://social.example", "fjellform", "Fjellform", "1")
    )
    sky = workspace.accounts.add(
        NewAccount(Network.BLUESKY, "https://bsky.example", "fjellform.bsky.social", "", "did:x")
    )
    workspace.accounts.set_state(toot.id, AccountState.OK, synced_at=now - timedelta(minutes=2))
    workspace.accounts.set_state(
        sky.id,
        AccountState.RATE_LIMITED,
        "Bluesky asks Heedful to wait before fetching new mentions.",
        until=now + timedelta(minutes=14),
        synced_at=now - timedelta(minutes=31),
    )
    health = AccountHealthRepository(workspace.store)
    health.record_attempt(toot.id, now, fetched=212, rate_limit=300, rate_remaining=287,
                          rate_resets_at=now + timedelta(minutes=4))  # fmt: skip
    health.record_attempt(toot.id, now, fetched=3)
    health.record_attempt(sky.id, now, fetched=412, rate_limit=3000, rate_remaining=0,
                          rate_resets_at=now + timedelta(minutes=14),
                          token_expires_at=now + timedelta(hours=1, minutes=50))  # fmt: skip
    texts = [
        "Where is my order? It has been two weeks.",
        "Does the Trail 40 fit carry-on limits?",
        "The zip on my jacket broke after one hike.",
        "Do you ship to Iceland?",
    ]
    workspace.mentions.ingest(
        [
            mention(toot.id, n, text, by=author(f"customer{n}@toot.example", f"Customer {n}"))
            for n, text in enumerate(texts)
        ]
    )
    ids = [row.id for row in reversed(workspace.inbox.list_rows(_everything(), 10))]
    outbox = workspace.outbox
    sent = outbox.queue(
        toot.id, ids[0], "reply", "It left our warehouse today: tracking sent by DM.", "k1"
    )
    outbox.claim(sent.id, now)
    outbox.mark_sent(sent.id, "1133", "https://social.example/@fjellform/1133")
    failed = outbox.queue(
        toot.id, ids[1], "reply", "Yes! 55 × 40 × 20 cm fits most airlines.", "k2"
    )
    outbox.claim(failed.id, now)
    outbox.mark_failed(failed.id, "social.example refused posting the reply: the post was deleted.")
    waiting = outbox.queue(toot.id, ids[2], "reply", "So sorry! Send us your order number.", "k3")
    outbox.claim(waiting.id, now)
    outbox.mark_retry(
        waiting.id, "social.example had a problem (502).", now + timedelta(seconds=95)
    )
    sending = outbox.queue(toot.id, ids[3], "reply", "We do, in 3-5 days.", "k4")
    outbox.claim(sending.id, now)
    workspace.close()


def _everything() -> object:
    from storage.mentions import InboxFilter

    return InboxFilter()


_CHILD = """
import sys
from PySide6.QtWidgets import QApplication
from app.bootstrap import StartupOptions, build_workspace
from ui.main_window import MainWindow
from tests.screens import paint_now

app = QApplication(sys.argv[:1])
workspace = build_workspace(StartupOptions(home=None))
window = MainWindow(workspace)
window.move(0, 0)
window.resize(1280, 800)
window.show()
for step in ("outbox", "channel-health"):
    panel = window.show_outbox() if step == "outbox" else window.show_channel_health()
    panel.move(140, 140)
    if step == "outbox":
        panel.select(panel.model.item(2).id)  # the failed reply: Retry and Edit again
    paint_now(window, panel)
    print(step, flush=True)
    sys.stdin.readline()
    panel.close()
window.close()
"""


def screenshot_sync_panels(folder: Path) -> list[Path]:
    saved: list[Path] = []
    with tempfile.TemporaryDirectory() as temporary, virtual_display() as display:
        home = Path(temporary)
        seed(home)
        env = {
            **os.environ,
            "DISPLAY": display,
            "QT_QPA_PLATFORM": "xcb",
            "HEEDFUL_HOME": str(home),
        }
        with subprocess.Popen(
            [sys.executable, "-c", _CHILD],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        ) as child:
            assert child.stdin is not None
            assert child.stdout is not None
            try:
                for _step in range(2):
                    name = child.stdout.readline().strip()
                    if not name:
                        raise RuntimeError("the window process ended early")
                    target = folder / f"{name}.png"
                    grab_screen(display, target)
                    saved.append(target)
                    child.stdin.write("next\n")
                    child.stdin.flush()
                child.wait(timeout=30)
            finally:
                if child.poll() is None:
                    child.kill()
                    child.wait()
    return saved


if __name__ == "__main__":
    for path in screenshot_sync_panels(Path(sys.argv[1] if len(sys.argv) > 1 else "build")):
        print(f"saved {path}")
