"""Text as it comes from the networks: cleaning, display, HTML and language."""
