"""The team inbox in the local store: membership, the team outbox, shared state by natural key."""
