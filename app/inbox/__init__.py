"""The inbox: views, search qualifiers and triage, for the window and the CLI."""
