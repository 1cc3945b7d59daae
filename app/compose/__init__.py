"""Writing replies: snippets, placeholders, the brand's voice and the guardrails."""
