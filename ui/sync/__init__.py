"""Sync in the window: the controller, outbox, channel health and adding accounts."""
