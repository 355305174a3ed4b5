"""
The ``deskflow`` command line (the ``cli`` extra: ``pip install 'deskflow[cli]'``).

``deskflow --help`` lists the commands: ``validate``, ``schema`` and ``diagram`` read a desk
configuration; ``sla due`` and ``sla elapsed`` do calendar arithmetic; ``simulate`` tries a
configuration on a simulated desk; ``report`` reports on a stored one; ``demo`` walks the
demo scenario; ``worker`` and ``db upgrade`` run a desk on a database. The library never
prints; this edge does.

This package imports without typer and rich: ``main`` says how to install them.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from deskflow.cli.operations import LoggingNotifier
from deskflow.cli.trails import audit_trail, sla_table

__all__ = ["LoggingNotifier", "audit_trail", "main", "sla_table"]

#: The packages of the ``cli`` extra.
_EXTRA = frozenset({"typer", "rich"})


def main(argv: Sequence[str] | None = None) -> int:
    """
    Run the command line ``argv`` (default: ``sys.argv[1:]``); return the exit status.
    """
    try:
        from deskflow.cli.app import run
    except ImportError as error:
        if (error.name or "").partition(".")[0] not in _EXTRA:
            raise
        print(
            f"deskflow: the command line needs {error.name}: pip install 'deskflow[cli]'",
            file=sys.stderr,
        )
        return 1
    return run(argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
