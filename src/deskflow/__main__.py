"""
``python -m deskflow``: the command line.
"""

from __future__ import annotations

import sys

from deskflow.cli import main

sys.exit(main())
