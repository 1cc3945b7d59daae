"""Entry point of `heedful` and `python -m app`: a command runs headless, none opens the window."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from app.cli.main import build_parser, run_command


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.self_test:
        # Headless checks in app/, the window's part from ui/ (offscreen by default).
        from app.selftest import run_self_test

        from ui.self_test import render_main_window

        return run_self_test(render_main_window)
    if args.command is not None:
        try:
            return run_command(args)
        except BrokenPipeError:
            # The reader went away (`heedful inbox list | head`): that is not an error.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
    # The one place the core reaches up to the window layer: the program's entry point.
    # Imported here so that headless commands never load Qt's widgets.
    from ui.launcher import run_window

    return run_window(args)


if __name__ == "__main__":
    sys.exit(main())
