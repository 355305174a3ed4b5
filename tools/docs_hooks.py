"""
MkDocs hooks: draw the workflows from the code, so the lifecycle page cannot drift.

A line ``<!-- workflow: NAME -->`` in a page is replaced by a Mermaid diagram of
``deskflow.NAME.to_mermaid()``; ``<!-- changelog -->`` by CHANGELOG.md.

Mermaid is served by the site itself: the file named by ``DESKFLOW_MERMAID_JS`` (the
Makefile fetches a pinned release from npm) is published as ``javascripts/mermaid.min.js``,
which ``mkdocs.yml`` loads; Material renders with a ``mermaid`` it finds loaded instead of
fetching one from a CDN.

The module lives outside ``docs/`` so that it is not published with the site. It is also a
Griffe extension (``DoctestFences``): mkdocstrings renders the docstrings' ``>>>`` examples
as code instead of as nested quotes.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

from griffe import Extension, Object
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

import deskflow

_MARKER = re.compile(r"^<!-- workflow: (\w+) -->$", re.MULTILINE)
_FENCE = "```"
#: A page element the browser would load from another host.
_EXTERNAL = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=\"(https?:)?//[^\"]+\"")
_log = logging.getLogger("mkdocs.hooks.deskflow")

#: Where the site publishes Mermaid; ``extra_javascript`` in mkdocs.yml names the same path.
MERMAID_URI = "javascripts/mermaid.min.js"


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


def mermaid_script(config: MkDocsConfig) -> Path:
    """
    The local ``mermaid.min.js`` to publish, from ``DESKFLOW_MERMAID_JS`` (relative to
    mkdocs.yml); a clear error when it is not there.
    """
    where = os.environ.get("DESKFLOW_MERMAID_JS")
    path = Path(config.config_file_path).parent / where if where else None
    if path is None or not path.is_file():
        raise PluginError(
            f"no local mermaid.min.js (DESKFLOW_MERMAID_JS={where!r}); build the docs with "
            "`make docs`, which fetches the pinned release from npm once"
        )
    return path


def on_files(files: Files, config: MkDocsConfig, **_: Any) -> Files:
    """
    MkDocs entry point: publish the local Mermaid with the site.
    """
    files.append(File.generated(config, MERMAID_URI, abs_src_path=str(mermaid_script(config))))
    return files


def external_loads(html: str) -> list[str]:
    """
    The elements of a built page that the browser would fetch from another host.

    >>> external_loads('<script src="https://unpkg.com/x.js"></script><a href="https://x.org">')
    ['<script src="https://unpkg.com/x.js"']
    """
    return [match.group(0) for match in _EXTERNAL.finditer(html)]


def on_page_markdown(markdown: str, **_: Any) -> str:
    """
    MkDocs entry point.
    """
    return render(markdown)


def on_post_page(output: str, *, page: Any, **_: Any) -> str:
    """
    MkDocs entry point: warn (so ``--strict`` fails) when a page would load from another host.
    """
    for element in external_loads(output):
        _log.warning("%s loads from another host: %s", page.file.src_uri, element)
    return output
