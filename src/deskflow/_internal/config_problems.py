"""
Configuration problems as a desk admin reads them: every problem at once, each with the path
of the field as written in the file, in plain words.

pydantic's errors are rewritten here (no "Value error, " prefixes, no URLs, a misspelled key
reported once with the field it stands for), and ``Problems`` gathers the problems found
while building a desk so that one [`ConfigError`][deskflow.exceptions.ConfigError] lists
them all.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from deskflow.exceptions import ConfigError, DeskflowError

__all__ = ["Problem", "Problems", "problems_of"]

#: One problem: the path to the field, as written in the file, and what is wrong with it.
Problem = tuple[tuple[str | int, ...], str]

#: What a value of each kind of pydantic type error should have been, in a desk admin's words.
_EXPECTED = {
    "model_type": "a table",
    "model_attributes_type": "a table",
    "dict_type": "a table",
    "list_type": "an array",
    "tuple_type": "an array",
    "string_type": "a string",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "date_type": "a date such as 2026-12-25",
    "date_parsing": "a date such as 2026-12-25",
    "date_from_datetime_parsing": "a date such as 2026-12-25",
    "date_from_datetime_inexact": "a date such as 2026-12-25",
    "time_delta_type": "a duration such as '4h', '1h30m', '2d' or 'PT4H'",
    "time_delta_parsing": "a duration such as '4h', '1h30m', '2d' or 'PT4H'",
}
#: pydantic's prefixes of the messages of errors raised inside validators.
_PREFIXES = ("Value error, ", "Assertion failed, ")


def problems_of(error: ValidationError, root: type[BaseModel]) -> list[Problem]:
    """
    Every error pydantic found, as problems a desk admin can act on: paths as written in
    the file, a misspelled key and the required field it misses as one problem, several
    errors for the branches of one union as one.
    """
    found: dict[tuple[str | int, ...], list[ErrorDetails]] = {}
    for item in error.errors(include_url=False):
        where, _ = _walk(root, item["loc"])
        found.setdefault(where, []).append(item)
    missing = {where for where, items in found.items() if items[0]["type"] == "missing"}
    merged: set[tuple[str | int, ...]] = set()
    problems: list[Problem] = []
    for where, items in found.items():
        if where in merged:
            continue
        if items[0]["type"] == "extra_forbidden":
            message, twin = _unknown_field(root, where, missing, items[0]["loc"][:-1])
            if twin is not None:
                merged.add(twin)
                problems = [p for p in problems if p[0] != twin]
            problems.append((where, message))
            continue
        expected = [_EXPECTED.get(i["type"]) or (i.get("ctx") or {}).get("expected") for i in items]
        if len(items) > 1 and all(expected):
            # The branches of a union (`"all"`, `"any"` or a number): one problem.
            said = ", or ".join(str(e) for e in expected)
            problems.append((where, f"expected {said}, got {_shown(items[0]['input'])}"))
            continue
        problems.extend((where, _message(item)) for item in items)
    return problems


def _message(item: ErrorDetails) -> str:
    kind, ctx, value = item["type"], item.get("ctx") or {}, item.get("input")
    if kind == "missing":
        # At an index, an array (`years = [2026]`) is too short.
        at_index = isinstance(item["loc"][-1], int) if item["loc"] else False
        return "missing: this array needs more items" if at_index else "required but missing"
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind in ("enum", "literal_error"):
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        close = difflib.get_close_matches(str(value), choices, n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        return f"expected {ctx.get('expected')}, got {_shown(value)}{hint}"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_shown(value)}"
    if kind == "greater_than":
        bound = str(ctx.get("gt"))
        if bound in ("0", "datetime.timedelta(0)"):
            return f"must be positive, got {_shown(value)}"
        return f"must be more than {bound}, got {_shown(value)}"
    if kind == "too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind in ("too_short", "too_long"):
        bound = "at least" if kind == "too_short" else "at most"
        size = ctx.get("min_length" if kind == "too_short" else "max_length")
        return f"needs {bound} {size} items, got {ctx.get('actual_length')}"
    message = str(item["msg"])
    for prefix in _PREFIXES:
        message = message.removeprefix(prefix)
    if message.startswith("Input should be "):
        return f"expected {message.removeprefix('Input should be ')}, got {_shown(value)}"
    return message[:1].lower() + message[1:]


def _unknown_field(
    root: type[BaseModel],
    where: tuple[str | int, ...],
    missing: set[tuple[str | int, ...]],
    loc: tuple[str | int, ...],
) -> tuple[str, tuple[str | int, ...] | None]:
    """
    The message for an unknown key at ``where``, and the missing field it stands for when it
    is that field misspelled (``loc``: pydantic's location of the table, which names the
    branch of a union).
    """
    key, parent = str(where[-1]), where[:-1]
    _, model = _walk(root, loc)
    fields = list(_by_key(model)) if model is not None else []
    absent = [str(w[-1]) for w in missing if w[:-1] == parent]
    close = difflib.get_close_matches(key, absent, n=1) or difflib.get_close_matches(
        key, fields, n=1
    )
    if close:
        twin = (*parent, close[0]) if close[0] in absent else None
        return f"unknown field `{key}` (did you mean `{close[0]}`?)", twin
    known = f"; known fields: {', '.join(fields)}" if fields else ""
    return f"unknown field `{key}`{known}", None


def _walk(
    root: type[BaseModel], loc: Iterable[str | int]
) -> tuple[tuple[str | int, ...], type[BaseModel] | None]:
    """
    The path of pydantic's ``loc`` as written in the file (without the tags pydantic gives
    the branches of a union and the marker of a dict's key), and the model found there.
    """
    where: list[str | int] = []
    tp: Any = root
    for part in loc:
        tp = _unwrapped(tp)
        if typing.get_origin(tp) in (typing.Union, types.UnionType):
            # The part names the branch: a model by its class name, other types in lower case.
            branches = typing.get_args(tp)
            tp = next(
                (b for b in branches if getattr(_unwrapped(b), "__name__", None) == part),
                branches[0],
            )
            continue
        if part == "[key]":
            continue
        where.append(part)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            info = _by_key(tp).get(str(part))
            tp = info.annotation if info is not None else None
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        elif typing.get_origin(tp) in (list, tuple):
            tp = typing.get_args(tp)[0]
        else:
            tp = None
    tp = _unwrapped(tp)
    return tuple(where), tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _by_key(model: type[BaseModel]) -> dict[str, FieldInfo]:
    # A field is written in the file by its alias (`if`, `for`) where it has one.
    return {info.alias or name: info for name, info in model.model_fields.items()}


def _unwrapped(tp: Any) -> Any:
    # Annotated[X, ...] -> X; X | None -> X.
    while True:
        if typing.get_origin(tp) is Annotated:
            tp = typing.get_args(tp)[0]
        elif typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in (
            args := typing.get_args(tp)
        ):
            rest = [a for a in args if a is not type(None)]
            if len(rest) != 1:
                return typing.Union[tuple(rest)]  # noqa: UP007
            tp = rest[0]
        else:
            return tp


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Problems:
    """
    The problems found while building the desk, gathered so that one error reports them all.
    """

    def __init__(self) -> None:
        self.found: list[Problem] = []

    def add(self, where: Iterable[str | int], message: str) -> None:
        """
        Note one problem at ``where``.
        """
        self.found.append((tuple(where), message))

    @contextmanager
    def at(self, *where: str | int) -> Iterator[None]:
        """
        Note the problems of a [`ConfigError`][deskflow.exceptions.ConfigError] (or the
        message of another deskflow error) raised in the block, under ``where``.
        """
        try:
            yield
        except ConfigError as error:
            for path, message in error.problems:
                self.add((*where, *path), message)
        except DeskflowError as error:
            self.add(where, str(error))

    def raise_any(self) -> None:
        """
        Raise one error listing every problem noted, each once, if any was.
        """
        if self.found:
            raise ConfigError.from_problems(dict.fromkeys(self.found))
