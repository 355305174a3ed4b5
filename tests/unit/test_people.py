"""
The ready people directory and the ``[people."id"]`` tables of a configuration.
"""

from __future__ import annotations

import pytest

from deskflow import ConfigError, MappingPeople, load_desk
from deskflow.routing import Candidate


def test_attributes_of_known_and_unknown_people() -> None:
    """Someone known has their attributes; someone unknown has none."""
    people = MappingPeople({"ann": {"locale": "de", "vip": True}})
    assert {"locale": "de", "vip": True} == dict(people.attributes("ann"))
    assert {} == dict(people.attributes("nobody"))


def test_candidates_by_group() -> None:
    """The agents of a group are its candidates; an unknown group has none."""
    lee = Candidate("lee", groups={"network"})
    people = MappingPeople({}, groups={"network": [lee]})
    assert (lee,) == tuple(people.candidates("network"))
    assert () == tuple(people.candidates("hr"))


def test_attributes_are_a_copy() -> None:
    """Changing the mapping given afterwards changes nothing the directory holds."""
    given = {"ann": {"locale": "de"}}
    people = MappingPeople(given)
    given["ann"]["locale"] = "fr"
    assert "de" == people.attributes("ann")["locale"]


@pytest.mark.parametrize("bad", [{"locale": 3}, {"timezone": " "}, {"email": ["x"]}])
def test_bad_known_attribute_is_a_config_error(bad: dict[str, object]) -> None:
    """A known attribute that is not a non-blank string is refused, naming it."""
    with pytest.raises(ConfigError, match=next(iter(bad))):
        MappingPeople({"ann": bad})


def test_people_tables_fill_the_desk_directory() -> None:
    """`[people."id"]` tables become the desk's people directory, groups as candidates."""
    desk = load_desk(
        {
            "people": {
                "ann.requester": {
                    "name": "Ann",
                    "locale": "de-AT",
                    "timezone": "Europe/Vienna",
                    "vip": True,
                },
                "lee.l1": {"name": "Lee", "groups": ["network"]},
            }
        }
    )
    assert desk.people is not None
    ann = desk.people.attributes("ann.requester")
    assert ("Ann", "de_AT", "Europe/Vienna", True) == (
        ann["name"],
        ann["locale"],
        ann["timezone"],
        ann["vip"],
    )
    assert ["lee.l1"] == [c.id for c in desk.people.candidates("network")]


def test_no_people_tables_no_directory() -> None:
    """A configuration without people leaves the desk without a directory."""
    assert load_desk({}).people is None


@pytest.mark.parametrize(
    ("person", "where"),
    [
        ({"timezone": "Mars/Olympus"}, "people.ann.timezone"),
        ({"locale": "not a locale"}, "people.ann.locale"),
    ],
)
def test_bad_people_tables_name_the_field(person: dict[str, object], where: str) -> None:
    """An unknown zone or a malformed locale is a ConfigError at its path."""
    with pytest.raises(ConfigError, match=where):
        load_desk({"people": {"ann": person}})
