"""A team shares one inbox over NATS JetStream: offline edits merged, one claim per reply."""
