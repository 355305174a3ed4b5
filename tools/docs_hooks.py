"""
MkDocs hooks: draw the workflows from the code, so the lifecycle page cannot drift.

A line ``<!-- workflow: NAME -->`` in a page is replaced by a Mermaid diagram of
``deskflow.NAME.to_mermaid()``; ``<!-- changelog -->`` by CHANGELOG.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import deskflow

_MARKER = re.compile(r"^<!-- workflow: (\w+) -->$", re.MULTILINE)


def render(markdown: str) -> str:
    """
    Replace workflow markers with the diagrams drawn from the compiled workflows.
    """

    def draw(match: re.Match[str]) -> str:
        workflow = getattr(deskflow, match.group(1))
        return f"```mermaid\n{workflow.to_mermaid()}\n```"

    markdown = _MARKER.sub(draw, markdown)
    if "<!-- changelog -->" in markdown:
        changelog = Path(__file__).parent.parent / "CHANGELOG.md"
        markdown = markdown.replace("<!-- changelog -->", changelog.read_text(encoding="utf-8"))
    return markdown


def on_page_markdown(markdown: str, **_: Any) -> str:
    """
    MkDocs entry point.
    """
    return render(markdown)
