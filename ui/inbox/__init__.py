"""The inbox panel, its model and delegate, the detail pane and triage actions."""
