"""
The MkDocs hooks: the configuration reference lists every field the model accepts, and
docstring examples are fenced as code.
"""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
from pydantic import BaseModel, TypeAdapter

from deskflow import config


def _load_hooks() -> ModuleType:
    # tools/ is not a package: load the module from its file, as MkDocs does.
    path = Path(__file__).parents[2] / "tools" / "docs_hooks.py"
    spec = importlib.util.spec_from_file_location("deskflow_docs_hooks", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hooks = _load_hooks()
MODELS = [m for m in vars(config).values() if isinstance(m, type) and issubclass(m, BaseModel)]


def test_every_field_of_every_config_model_is_in_the_reference() -> None:
    """
    Each field of each model in deskflow.config appears as a row of the reference.
    """
    text = hooks.config_reference()
    assert len(MODELS) >= 9
    for model in MODELS:
        if model is config._Model:
            continue
        for name in model.model_fields:
            assert f".{name}` |" in text or f"| `{name}` |" in text, (model.__name__, name)


def test_nested_sections_carry_their_toml_path() -> None:
    """
    Nested tables are named by their full TOML path, with placeholders for free keys.
    """
    text = hooks.config_reference()
    for row in (
        "| `calendars.<name>.timezone` | string | required |",
        "| `sla.metrics.<metric>.targets` |",
        "| `sla.incident.calendar` |",
        "| `approval.stages.required` |",
        '| `reopen_window` | duration, more than "0s" | `"7d"` |',
    ):
        assert row in text
    for heading in ("## `[sla.metrics.<metric>]`", "## `[[escalation]]`"):
        assert heading in text


def test_every_field_has_a_description_and_an_example() -> None:
    """
    No field of the desk's configuration lacks its description or example.
    """
    assert [] == hooks.undocumented_fields()


def test_every_example_is_toml_its_field_accepts() -> None:
    """
    Each field's example, written as TOML in the reference, reads back and validates.
    """
    for _, section in hooks.config_sections():
        for name, field in section.model_fields.items():
            _, example = hooks.field_docs(section, name)
            value = tomllib.loads(f"{name} = {example}")[name]
            assert field.examples is not None, (section.__name__, name)
            assert field.examples[0] == value, (section.__name__, name)
            TypeAdapter(field.annotation).validate_python(value)


def test_the_field_docs_live_in_the_model_not_in_the_hook() -> None:
    """
    The hook keeps no table of descriptions: a field's docs are its own Field(...).
    """
    assert not hasattr(hooks, "FIELD_DOCS")
    assert ("The calendar the SLA clocks run on.", '"london"') == hooks.field_docs(
        config.SlaSection, "calendar"
    )


def test_a_field_added_to_a_model_appears_and_is_reported_undocumented() -> None:
    """
    A new field, at the top or nested, shows up in the reference and in the to-do list.
    """

    class Stage(config.StageConfig):
        deadline: str | None = None

    class Approval(config.ApprovalConfig):
        stages: list[Stage]  # type: ignore[assignment]

    class Desk(config.DeskConfig):
        approval: Approval | None = None
        pager: int = 5

    text = hooks.config_reference(Desk)
    assert "| `pager` | integer | `5` |" in text
    assert "| `approval.stages.deadline` | string (optional) | unset |" in text
    assert ["approval.stages.deadline", "pager"] == sorted(hooks.undocumented_fields(Desk))


def test_the_reference_replaces_its_marker() -> None:
    """
    The page marker becomes the generated tables.
    """
    rendered = hooks.render("# Reference\n\n<!-- config-reference -->\n")
    assert "<!-- config-reference -->" not in rendered
    assert "| `sla.calendar` |" in rendered


def test_doctest_examples_are_fenced_and_fenced_text_is_left_alone() -> None:
    """
    A run of >>> lines up to the next blank line becomes a pycon fence.
    """
    doc = "Intro.\n\n>>> [1]\n[1]\n\nMore.\n\n```pycon\n>>> 2\n2\n\n```"
    expected = "Intro.\n\n```pycon\n>>> [1]\n[1]\n```\n\nMore.\n\n```pycon\n>>> 2\n2\n\n```"
    assert expected == hooks.fence_doctests(doc)
    assert "```pycon\n>>> 1\n1\n```" == hooks.fence_doctests(">>> 1\n1")


def test_a_missing_local_mermaid_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """
    Without the fetched mermaid.min.js the build stops and says to run make docs.
    """
    site = SimpleNamespace(config_file_path=str(tmp_path / "mkdocs.yml"))
    monkeypatch.setenv("DESKFLOW_MERMAID_JS", "missing/mermaid.min.js")
    with pytest.raises(hooks.PluginError, match="make docs"):
        hooks.mermaid_script(site)
    (tmp_path / "mermaid.min.js").write_text("", encoding="utf-8")
    monkeypatch.setenv("DESKFLOW_MERMAID_JS", "mermaid.min.js")
    assert tmp_path / "mermaid.min.js" == hooks.mermaid_script(site)


def test_the_simulation_chart_is_drawn_when_the_site_is_built() -> None:
    """
    The marker becomes an image of the chart the hook draws; the SVG is the same twice.
    """
    page = hooks.render("Before\n<!-- simulation-chart -->\nAfter")
    assert f"]({hooks.SIMULATION_CHART_URI})" in page
    assert "<!-- simulation-chart -->" not in page
    chart = hooks.simulation_chart(days=1)
    assert chart.startswith(b"<?xml")
    assert b"SLA compliance per day" in chart
    assert chart == hooks.simulation_chart(days=1)
