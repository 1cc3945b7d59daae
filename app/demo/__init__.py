"""The demo workspace: a fictional brand's accounts, mentions and history."""
