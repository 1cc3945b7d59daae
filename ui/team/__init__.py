"""The team inbox in the window: joining, the status-bar indicator, presence, held replies."""
