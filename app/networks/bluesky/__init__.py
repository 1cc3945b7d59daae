"""Bluesky (AT Protocol): the connector."""
