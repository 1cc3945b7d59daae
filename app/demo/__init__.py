"""The demo workspace: a fictional brand's accounts, mentions and history.

`generator` is the entry point (`demo_accounts`, `demo_mentions`); `data` reads the files in
resources/demo/; `ids` makes network-like identifiers; `people` the brand's accounts and its
customers; `world` holds the state while writing; `posts` writes one post; `triage` sets how
far each was handled; the stories: `pool` (everyday mentions and reactions to the brand's
announcements), `threads` (conversations the brand answered), `outage`, `regulars` (the
repeat complainers).
"""
