"""
MkDocs hooks: draw the workflows from the code, so the lifecycle page cannot drift.

A line ``<!-- workflow: NAME -->`` in a page is replaced by a Mermaid diagram of
``deskflow.NAME.to_mermaid()``; ``<!-- changelog -->`` by CHANGELOG.md.

The module lives outside ``docs/`` so that it is not published with the site. It is also a
Griffe extension (``DoctestFences``): mkdocstrings renders the docstrings' ``>>>`` examples
as code instead of as nested quotes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from griffe import Extension, Object

import deskflow

_MARKER = re.compile(r"^<!-- workflow: (\w+) -->$", re.MULTILINE)
_FENCE = "```"


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


def fence_doctests(docstring: str) -> str:
    """
    Put every run of ``>>>`` example lines (up to the next blank line, as doctest reads
    them) in a ``pycon`` code fence, so Markdown neither quotes it nor reads ``[...]`` in
    its output as a cross-reference. Text already fenced is left alone.
    """
    out: list[str] = []
    fenced = in_example = False
    for line in docstring.splitlines():
        stripped = line.strip()
        if in_example and not stripped:
            out.append(_FENCE)
            in_example = False
        elif not fenced and not in_example and stripped.startswith(">>>"):
            out.append(f"{_FENCE}pycon")
            in_example = True
        elif not in_example and stripped.startswith(_FENCE):
            fenced = not fenced
        out.append(line)
    if in_example:
        out.append(_FENCE)
    return "\n".join(out)


class DoctestFences(Extension):  # type: ignore[misc]
    """
    Griffe extension: fence the doctest examples of every docstring it loads.
    """

    def on_instance(self, *, obj: Object, **_: Any) -> None:
        """
        Rewrite the object's docstring before mkdocstrings parses it.
        """
        if obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fence_doctests(obj.docstring.value)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """
    MkDocs entry point.
    """
    return render(markdown)
