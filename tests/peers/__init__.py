"""Real network peers that integration tests talk to over loopback."""
