"""
The checks a template passes when the desk loads: it parses, and it names only variables
it has (the common ones, ``ticket.<field>``, and the ``event.<field>`` its event carries), so
a misspelt variable is a ConfigError naming the template, the locale and the line, not a
message that fails to send.
"""

from __future__ import annotations

import difflib

import jinja2
from jinja2 import meta, nodes

from deskflow._internal.template_catalog import COMMON, TICKET, event_names
from deskflow.exceptions import ConfigError

__all__ = ["check_source"]


def _problem(name: str, locale: str, part: str, line: int | None, message: str) -> ConfigError:
    where = f", line {line}" if line else ""
    kind = "HTML template" if part == "html" else "template"
    return ConfigError(f"{kind} {name!r} ({locale}){where}: {message}", path=("messages", name))


def _hint(word: str, known: object) -> str:
    close = difflib.get_close_matches(word, sorted(known), n=1)  # type: ignore[call-overload]
    return f" (did you mean `{close[0]}`?)" if close else ""


def check_source(
    env: jinja2.Environment, source: str, *, name: str, locale: str, part: str
) -> None:
    """
    Raise ConfigError if ``source`` does not parse or names a variable it does not have.
    """
    try:
        ast = env.parse(source, name=f"{locale}/{name}.{part}")
    except jinja2.TemplateSyntaxError as error:
        raise _problem(name, locale, part, error.lineno, error.message or "syntax error") from None
    if part == "txt" and not source.strip():
        raise _problem(name, locale, part, 1, "the first line is the subject: it is empty")
    for unknown in sorted(meta.find_undeclared_variables(ast) - set(COMMON) - set(env.globals)):
        line = next(
            (n.lineno for n in ast.find_all(nodes.Name) if n.name == unknown and n.ctx == "load"),
            None,
        )
        raise _problem(
            name, locale, part, line, f"unknown variable `{unknown}`{_hint(unknown, COMMON)}"
        )
    allowed = {"ticket": frozenset(TICKET), "event": event_names(name)}
    for node in ast.find_all(nodes.Getattr):
        target = node.node
        if not isinstance(target, nodes.Name) or target.name not in allowed:
            continue
        known = allowed[target.name]
        if known is not None and node.attr not in known:
            raise _problem(
                name,
                locale,
                part,
                node.lineno,
                f"unknown variable `{target.name}.{node.attr}`{_hint(node.attr, known)}",
            )
