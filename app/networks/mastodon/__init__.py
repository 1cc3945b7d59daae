"""Mastodon (and Mastodon-API servers): sign-in and the connector."""
