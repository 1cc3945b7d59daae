"""The `heedful` command line: one module per group of commands."""
