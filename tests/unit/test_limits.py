"""
Size limits on free text: a desk refuses a title, a comment or a reason longer than its limit.
"""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskflow.desk import Desk
from deskflow.exceptions import ConfigError, InvalidInput
from deskflow.limits import Limits

FIELDS = [f.name for f in attrs.fields(Limits)]


def test_the_defaults() -> None:
    """
    Without configuration a desk allows 255-character titles and 32,767-character texts.
    """
    expected = {
        "title": 255,
        "description": 32_767,
        "comment": 32_767,
        "resolution": 32_767,
        "reason": 2_000,
        "feedback_comment": 5_000,
    }
    assert expected == attrs.asdict(Limits())
    assert Limits() == Desk().limits


def test_text_within_the_limit_comes_back_unchanged() -> None:
    """
    check() returns the value itself, so a command can check and use it in one step.
    """
    text = "x" * 200
    assert text is Limits(title=200).check("title", text)


def test_a_title_over_the_limit_says_its_length_and_the_limit() -> None:
    """
    A 5,000,001-character title is InvalidInput naming the field, its length and the limit.
    """
    with pytest.raises(InvalidInput) as info:
        Limits(title=200).check("title", "x" * 5_000_001)
    assert "title is 5000001 characters long; this desk allows at most 200" == str(info.value)


@given(field=st.sampled_from(FIELDS), limit=st.integers(1, 50), extra=st.integers(0, 3))
def test_every_field_allows_its_limit_and_not_one_character_more(
    field: str, limit: int, extra: int
) -> None:
    """
    Exactly the limit passes; limit + 1 or more is refused, for every field.
    """
    limits = Limits(**{field: limit})
    assert "é" * limit == limits.check(field, "é" * limit)
    with pytest.raises(InvalidInput, match=f"^{field} is {limit + 1 + extra} characters"):
        limits.check(field, "é" * (limit + 1 + extra))


def test_an_unknown_field_or_a_non_string_is_refused() -> None:
    """
    check() knows only its own fields, and measures only strings.
    """
    with pytest.raises(InvalidInput, match="no size limit for 'subject'"):
        Limits().check("subject", "hello")
    with pytest.raises(InvalidInput, match="comment must be a string, got int"):
        Limits().check("comment", 42)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0, -1, True, 2.5, "200", None])
def test_a_limit_must_be_a_positive_whole_number(value: object) -> None:
    """
    Limits built in code refuse zero, negatives, booleans and non-integers with the field's path.
    """
    with pytest.raises(ConfigError) as info:
        Limits(reason=value)  # type: ignore[arg-type]
    assert ("reason",) == info.value.path
    assert "must be a positive whole number of characters" in info.value.message


def test_a_desk_takes_only_limits() -> None:
    """
    Desk(limits=...) refuses anything but a Limits, at path limits.
    """
    assert Limits(title=80) == Desk(limits=Limits(title=80)).limits
    with pytest.raises(ConfigError) as info:
        Desk(limits={"title": 80})  # type: ignore[arg-type]
    assert ("limits",) == info.value.path
