"""
An HTML mail body reduced to plain text, keeping what quote stripping needs: blocks become
lines and a ``<blockquote>`` becomes ``>`` lines, as a plain-text client would quote.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["html_to_text"]

_BLOCKS = frozenset(
    str.split(
        "address article aside blockquote br dd div dl dt footer form h1 h2 h3 h4 h5 h6 header "
        "hr li ol p pre section table tr ul"
    )
)
_HIDDEN = frozenset({"script", "style", "head", "title", "template"})


class _Reducer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.depth = 0
        self.hidden = 0

    def _break(self) -> None:
        text = re.sub(r"[ \t\r\n\f\v\u00a0]+", " ", "".join(self.current)).strip()
        self.current = []
        prefix = "> " * self.depth
        if text or (self.lines and self.lines[-1].strip("> ")):
            self.lines.append(f"{prefix}{text}".rstrip())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self._break()
            if tag == "blockquote":
                self.depth += 1
            elif tag == "hr":
                self.lines.append("________________________________")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self._break()
            if tag == "blockquote":
                self.depth = max(0, self.depth - 1)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.current.append(data)


def html_to_text(html: str) -> str:
    """
    The text of ``html``: one line per block, quoted blocks as ``>`` lines, no markup.

    >>> html_to_text("<p>It works <b>now</b>.</p><blockquote>Reboot it?</blockquote>")
    'It works now.\\n\\n> Reboot it?'
    """
    reducer = _Reducer()
    reducer.feed(html)
    reducer.close()
    reducer._break()
    return "\n".join(reducer.lines).strip("\n")
