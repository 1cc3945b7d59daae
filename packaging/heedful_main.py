"""The packaged binary's entry point: the same as `heedful` from source."""

import sys

from app.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
