"""
MkDocs hooks: draw the workflows from the code, so the lifecycle page cannot drift.

A line ``<!-- workflow: NAME -->`` in a page is replaced by a Mermaid diagram of
``deskflow.NAME.to_mermaid()``; ``<!-- changelog -->`` by CHANGELOG.md;
``<!-- config-reference -->`` by the tables of every configuration field, walked from the
pydantic model of the desk's configuration (`config_reference`), with the description and
example each field carries in the model; ``<!-- simulation-chart -->`` by the chart of a
simulated run of the shipped scenario, drawn when the site is built (`simulation_chart`).

Mermaid is served by the site itself: the file named by ``DESKFLOW_MERMAID_JS`` (the
Makefile fetches a pinned release from npm) is published as ``javascripts/mermaid.min.js``,
which ``mkdocs.yml`` loads; Material renders with a ``mermaid`` it finds loaded instead of
fetching one from a CDN.

The module lives outside ``docs/`` so that it is not published with the site. It is also a
Griffe extension (``DoctestFences``): mkdocstrings renders the docstrings' ``>>>`` examples
as code instead of as nested quotes.
"""

from __future__ import annotations

import enum
import logging
import os
import re
import types
import typing
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import annotated_types
from griffe import Extension, Object
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from pydantic import BaseModel

import deskflow
from deskflow import plugins
from deskflow.config import DeskConfig

_MARKER = re.compile(r"^<!-- workflow: (\w+) -->$", re.MULTILINE)
_FENCE = "```"
#: A page element the browser would load from another host.
_EXTERNAL = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=\"(https?:)?//[^\"]+\"")
_BARE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_log = logging.getLogger("mkdocs.hooks.deskflow")

#: Where the site publishes Mermaid; ``extra_javascript`` in mkdocs.yml names the same path.
MERMAID_URI = "javascripts/mermaid.min.js"
#: Where the site publishes the simulation chart, and how many days it simulates (quick).
SIMULATION_CHART_URI = "img/simulation.svg"
SIMULATION_CHART_DAYS = 5


#: Sections that name a policy, and the plug-in group their names come from.
_POLICY_GROUPS = {
    "priority": "deskflow.priority",
    "routing": "deskflow.routing",
    "[[escalation]]": "deskflow.escalation",
}


def render(markdown: str) -> str:
    """
    Replace workflow markers with the diagrams drawn from the compiled workflows.
    """

    def draw(match: re.Match[str]) -> str:
        workflow = getattr(deskflow, match.group(1))
        return f"```mermaid\n{workflow.to_mermaid()}\n```"

    markdown = _MARKER.sub(draw, markdown)
    if "<!-- config-reference -->" in markdown:
        for path in undocumented_fields():
            _log.warning("configuration field %s has no description or example", path)
        markdown = markdown.replace("<!-- config-reference -->", config_reference())
    if "<!-- simulation-chart -->" in markdown:
        markdown = markdown.replace(
            "<!-- simulation-chart -->",
            f"![A simulated week of the London desk]({SIMULATION_CHART_URI})",
        )
    if "<!-- changelog -->" in markdown:
        changelog = Path(__file__).parent.parent / "CHANGELOG.md"
        markdown = markdown.replace("<!-- changelog -->", changelog.read_text(encoding="utf-8"))
    return markdown


def field_docs(model: type[BaseModel], name: str) -> tuple[str, str]:
    """
    A field's description and its first example written as TOML, from the field's own
    ``Field(description=..., examples=[...])``, else from the same field of a base model (a
    subclass that narrows a field's type keeps its docs), else empty.
    """
    infos = [
        base.model_fields[name]
        for base in model.__mro__
        if isinstance(base, type) and issubclass(base, BaseModel) and name in base.model_fields
    ]
    description = next((i.description for i in infos if i.description), "")
    examples = next((i.examples for i in infos if i.examples), None)
    return description, _toml(examples[0]) if examples else ""


def config_sections(
    model: type[BaseModel] = DeskConfig, path: str = ""
) -> Iterator[tuple[str, type[BaseModel]]]:
    """
    The model's tables with their TOML paths, depth first: the model itself at ``path``,
    then each nested model (``<name>`` stands for a key of your choosing, ``[[...]]`` for an
    array of tables).

    >>> [p for p, _ in config_sections()][:4]
    ['', 'calendars.<name>', 'priority', 'sla']
    """
    yield path, model
    for name, info in model.model_fields.items():
        for suffix, nested in _nested_models(info.annotation):
            key = f"{path}.{name}" if path else name
            yield from config_sections(nested, f"[[{key}]]" if suffix == "[]" else key + suffix)


def undocumented_fields(model: type[BaseModel] = DeskConfig) -> list[str]:
    """
    The TOML paths of fields that have no description or no example.
    """
    return [
        f"{path.strip('[]') + '.' if path else ''}{name}"
        for path, section in config_sections(model)
        for name in section.model_fields
        if not all(field_docs(section, name))
    ]


def config_reference(model: type[BaseModel] = DeskConfig) -> str:
    """
    Markdown tables of every field of ``model`` and the models nested in it: TOML path,
    type, default, description and example. A model met again refers to its first table.
    """
    seen: dict[type[BaseModel], str] = {}
    parts: list[str] = []
    for path, section in config_sections(model):
        heading = f"`[{path}]`" if path and not path.startswith("[[") else f"`{path}`"
        parts.append(f"## {heading if path else 'Top level'}\n")
        if path in _POLICY_GROUPS:
            names = ", ".join(f"`{n}`" for n in plugins.policy_names(_POLICY_GROUPS[path]))
            parts.append(f"Policy names: {names}.\n")
        if section in seen:
            parts.append(f"The fields of `{seen[section]}`.\n")
            continue
        seen[section] = path or "top level"
        parts.append(_first_paragraph(section.__doc__) + "\n")
        parts.append("| key | type | default | description | example |")
        parts.append("|---|---|---|---|---|")
        prefix = path.strip("[]") + "." if path else ""
        for name, info in section.model_fields.items():
            description, example = field_docs(section, name)
            name = info.alias or name  # as the file writes it (`if`, not `if_`)
            cells = (
                f"`{prefix}{name}`",
                _type_name(info.annotation, info.metadata),
                _default(info),
                description,
                f"`{name} = {example}`" if example else "",
            )
            parts.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        parts.append("")
    return "\n".join(parts)


def _first_paragraph(doc: str | None) -> str:
    text = (doc or "").strip().split("\n\n")[0]
    return " ".join(text.split())


def _strip(tp: Any) -> tuple[Any, list[Any]]:
    """
    The type without ``Annotated`` and ``None``, and the annotations it had.
    """
    metadata: list[Any] = []
    while True:
        if typing.get_origin(tp) is Annotated:
            tp, *extra = typing.get_args(tp)
            metadata.extend(extra)
        elif _is_union(tp) and type(None) in typing.get_args(tp):
            rest = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]  # noqa: UP007
        else:
            return tp, metadata


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _nested_models(annotation: Any) -> Iterator[tuple[str, type[BaseModel]]]:
    tp, _ = _strip(annotation)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if _is_model(tp):
        yield "", tp
    elif origin is dict and _is_model(_strip(args[1])[0]):
        yield f".<{_placeholder(args[0])}>", _strip(args[1])[0]
    elif origin is list and _is_model(_strip(args[0])[0]):
        yield "[]", _strip(args[0])[0]


def _placeholder(key: Any) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key.__name__).lower() if _is_enum(key) else "name"


def _is_enum(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, enum.Enum)


def _type_name(annotation: Any, metadata: list[Any] | tuple[Any, ...] = ()) -> str:
    tp, extra = _strip(annotation)
    optional = tp is not annotation and _is_union(annotation)
    name = _plain_type(tp) + _constraints([*metadata, *extra])
    return f"{name} (optional)" if optional else name


def _plain_type(tp: Any) -> str:
    tp, _ = _strip(tp)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return "any"
    if _is_model(tp):
        return "table"
    if _is_enum(tp):
        return "one of " + ", ".join(f"`{m.value}`" for m in tp)
    if origin is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if _is_union(tp):
        return " or ".join(_plain_type(a) for a in args)
    if origin is list:
        return f"array of {_plain_type(args[0])}"
    if origin is tuple:
        return f"array of {len(args)} {_plain_type(args[0])}s"
    if origin is dict:
        return f"table of {_plain_type(args[0])} to {_plain_type(args[1])}"
    scalars = {
        str: "string",
        bool: "boolean",
        int: "integer",
        float: "number",
        date: "date",
        timedelta: "duration",
    }
    return scalars.get(tp, getattr(tp, "__name__", str(tp)))


def _constraints(metadata: list[Any]) -> str:
    said = []
    for item in metadata:
        if isinstance(item, annotated_types.Gt):
            said.append(f"more than {_toml(item.gt)}")
        elif isinstance(item, annotated_types.MinLen):
            said.append(f"at least {item.min_length}")
    return f", {', '.join(said)}" if said else ""


def _default(info: Any) -> str:
    if info.is_required():
        return "required"
    value = info.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if isinstance(value, BaseModel):
        given = value.model_dump(exclude_defaults=True)
        return f"`{_toml(given)}`" if given else "its fields' defaults"
    return f"`{_toml(value)}`"


def _toml(value: Any) -> str:
    """
    A value as TOML would write it (inline).
    """
    if isinstance(value, BaseModel):
        return _toml(value.model_dump(exclude_defaults=True))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return _toml(value.value)
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, timedelta):
        return f'"{_duration(value)}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{_key(k)} = {_toml(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    return str(value)


def _key(key: Any) -> str:
    # Keys that read as names stay bare; `lee.l1`, `mon-fri` and `2026-12-24` are quoted.
    text = str(key.value if isinstance(key, enum.Enum) else key)
    return text if _BARE_KEY.fullmatch(text) else f'"{text}"'


def _duration(value: timedelta) -> str:
    seconds, parts = int(value.total_seconds()), []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"


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


class DoctestFences(Extension):
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


def simulation_chart(days: int = SIMULATION_CHART_DAYS) -> bytes:
    """
    The SVG chart of ``days`` simulated days of the shipped scenario on the shipped desk
    (seed 0), drawn now, so the page cannot show a chart the code no longer draws.
    """
    import io

    import matplotlib

    from deskflow.charts import simulation_figure
    from deskflow.simulation import simulate

    out = io.BytesIO()
    figure = simulation_figure(simulate(days=days, seed=0))
    # A fixed hash salt and no date keep the SVG, and so the site, the same build to build.
    with matplotlib.rc_context({"svg.hashsalt": "deskflow"}):
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def on_files(files: Files, config: MkDocsConfig, **_: Any) -> Files:
    """
    MkDocs entry point: publish the local Mermaid and the simulation chart with the site.
    """
    files.append(File.generated(config, MERMAID_URI, abs_src_path=str(mermaid_script(config))))
    files.append(File.generated(config, SIMULATION_CHART_URI, content=simulation_chart()))
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
