"""The guardrails catch every trap in the demo workspace: personal data customers posted,
answers in the wrong language, and the same answer pasted to everyone during the outage."""

from __future__ import annotations

import re

from storage.mentions import InboxFilter
from storage.records import InboxRow, MentionKind

from app.bootstrap import Workspace
from app.compose.brand import BrandProfile
from app.compose.guardrails import find_personal_data

# The demo generator's own formats (app/demo.py), written independently of the guardrails.
_GENERATED_PII = re.compile(
    r"FF-\d{6}"
    r"|[\w.]+@(?:example\.(?:com|net|org)|mail\.example)"
    r"|\+47 9\d\d \d\d \d{3}|\+47 4\d{7}|(?<!\d)9\d\d \d\d \d{3}"
    r"|\+44 7700 900\d{3}|07700 900\d{3}|\+353 87 \d{3} \d{4}"
    r"|\+49 151 \d{8}|0176 \d{8}|\+34 6\d\d \d{3} \d{3}"
    r"|(?:\+33 6|06) 39 98 \d\d \d\d"
)


def _customer_mentions(workspace: Workspace) -> list[InboxRow]:
    rows = workspace.inbox.list_rows(InboxFilter(), 5000)
    return [row for row in rows if not row.is_own]


def test_every_piece_of_personal_data_in_the_demo_is_caught(demo_workspace: Workspace) -> None:
    with_data = 0
    for row in _customer_mentions(demo_workspace):
        if not _GENERATED_PII.search(row.text):
            continue
        mention_id = row.id
        mention = demo_workspace.composer.mention(mention_id)
        expected = _GENERATED_PII.findall(mention.text)
        with_data += 1
        found = " ".join(
            item.text for item in find_personal_data(mention.text, BrandProfile().order_patterns)
        )
        for piece in expected:
            assert piece in found, (piece, mention.text)
        # Quoting it back in public blocks; a DM is fine; not quoting it suggests a DM.
        quoted = demo_workspace.composer.findings(mention_id, f"Thanks, I've noted {expected[0]}.")
        private = mention.kind is MentionKind.DIRECT or mention.visibility == "direct"
        assert ("pii" in [f.kind for f in quoted if f.blocking]) is not private, mention.text
        dm = demo_workspace.composer.findings(mention_id, f"Noted {expected[0]}.", direct=True)
        assert "pii" not in [f.kind for f in dm]
        hint = demo_workspace.composer.findings(mention_id, "Thanks, I've sent you a DM.")
        assert ("pii_in_mention" in [f.kind for f in hint]) is not private
    assert with_data >= 20  # the demo has plenty of these traps


def test_an_english_snippet_on_a_foreign_language_mention_is_caught(
    demo_workspace: Workspace,
) -> None:
    snippet = demo_workspace.snippets.by_shortcut("late")
    assert snippet is not None
    caught = missed = 0
    for row in _customer_mentions(demo_workspace):
        if row.language in (None, "en") or row.kind is MentionKind.DIRECT:
            continue
        mention_id = row.id
        mention = demo_workspace.composer.mention(mention_id)
        english = demo_workspace.composer.render_snippet(mention, snippet, variant=None)
        base = english.snippet.body
        text = demo_workspace.composer.render_snippet(
            mention, snippet, variant=type(english.variant)(base)
        ).rendered.text
        kinds = [f.kind for f in demo_workspace.composer.findings(mention_id, text)]
        if "language" in kinds:
            caught += 1
        else:
            missed += 1
    assert caught > 100
    assert missed == 0


def test_the_same_outage_answer_to_everyone_is_caught(demo_workspace: Workspace) -> None:
    """During the outage, pasting one answer to every customer sounds like a robot."""
    answer = "Checkout is down for some people right now and we're working on it. Sorry!"
    authors: set[int] = set()
    answered = 0
    for row in _customer_mentions(demo_workspace):  # newest first: the outage
        mention_id = row.id
        mention = demo_workspace.composer.mention(mention_id)
        if mention.author.id in authors or mention.kind is MentionKind.DIRECT:
            continue
        kinds = [f.kind for f in demo_workspace.composer.findings(mention_id, answer)]
        assert ("repetition" in kinds) is (answered >= 2), answered
        if answered == 2:
            personal = f"Hi {mention.author.display_name}, checkout is down; your basket is safe."
            assert "repetition" not in [
                f.kind for f in demo_workspace.composer.findings(mention_id, personal)
            ]
        demo_workspace.replies.queue(mention_id, answer)  # the outbox remembers what went out
        authors.add(mention.author.id)
        answered += 1
        if answered == 4:
            break
    assert answered == 4
