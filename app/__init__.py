"""Heedful's core: networks, sync, snippets, services. Runs headless; no widgets here."""

__version__ = "0.1.0"
