"""
Run every benchmark of deskflow and print their tables (``make bench``).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main() -> None:
    """
    Import each ``bench_*.py`` beside this file and call its ``main()``.
    """
    sys.argv = sys.argv[:1]
    for path in sorted(HERE.glob("bench_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(f"\n## {path.stem}\n")
        module.main()


if __name__ == "__main__":
    main()
