"""``seenfix`` and ``python -m seenfix``: answer from the fast path when possible, else run click."""

from __future__ import annotations

import sys


def main() -> None:
    from seenfix.cli import fastpath

    if fastpath.handled(sys.argv[1:]):
        sys.exit(0)
    from seenfix.cli.app import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
