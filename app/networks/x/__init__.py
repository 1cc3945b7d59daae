"""X (formerly Twitter) through the X API v2: sign-in, mentions, DMs, replies, spend."""
