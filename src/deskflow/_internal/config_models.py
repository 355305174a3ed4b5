"""
The base of the configuration models: strict tables (an unknown key is an error) whose every
field says what it means and shows an example, for the generated reference and the JSON
Schema alike.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticUndefined

__all__ = ["ConfigModel", "doc", "docs"]


class ConfigModel(BaseModel):
    """
    A table of a configuration file: frozen, and no key it does not declare.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


def doc(description: str, example: object, default: Any = PydanticUndefined, **more: Any) -> Any:
    """
    A field with its description and one example (a test fails on a field without them).
    """
    return Field(default, description=description, examples=[example], **more)


def docs(description: str, example: object, default_factory: Any, **more: Any) -> Any:
    """
    [`doc`][deskflow._internal.config_models.doc] with a default made by ``default_factory``.
    """
    return Field(
        default_factory=default_factory, description=description, examples=[example], **more
    )
