"""Talking to the networks in the background: pulling mentions, sending the outbox, health."""
