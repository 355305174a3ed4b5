"""
Desk configuration from TOML, JSON or a mapping, with errors that name the bad field.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskflow import ConfigError, Metric, Priority, TicketKind
from deskflow.calendars import BusinessCalendar
from deskflow.config import DEFAULT_CONFIG, DeskConfig, LimitsConfig, load_desk, parse_duration
from deskflow.escalation import CompositePolicy
from deskflow.limits import Limits
from deskflow.sla import SlaPolicy


def test_the_shipped_default_desk_loads() -> None:
    """
    The default config builds calendars, SLA, escalation per kind and approvals.
    """
    desk = load_desk(DEFAULT_CONFIG)
    assert "Europe/London" == desk.sla[TicketKind.INCIDENT].calendar.timezone  # type: ignore[union-attr]
    assert isinstance(desk.escalation[TicketKind.INCIDENT], CompositePolicy)
    assert TicketKind.SERVICE_REQUEST not in desk.escalation
    assert desk.approval is not None
    assert timedelta(hours=24) == desk.auto_close_after
    assert Limits() == desk.limits


def test_custom_targets_and_thresholds_from_json(tmp_path: Path) -> None:
    """
    A JSON file can set targets, thresholds and an office calendar by day ranges.
    """
    path = tmp_path / "desk.json"
    path.write_text(
        json.dumps(
            {
                "calendars": {
                    "office": {"timezone": "UTC", "weekly": {"mon-fri": ["08:00-18:00"]}}
                },
                "sla": {
                    "calendar": "office",
                    "priority_change": "prospective",
                    "metrics": {
                        "resolution": {
                            "targets": {"P1": "2h", "P2": "1h30m", "P3": "PT8H"},
                            "thresholds": ["80%", "due-15m"],
                        }
                    },
                },
            }
        )
    )
    desk = load_desk(path)
    policy = desk.sla[TicketKind.INCIDENT]
    resolution = policy.metrics[Metric.RESOLUTION]
    assert timedelta(minutes=90) == resolution.targets[Priority.P2]
    assert ["80%", "due-15m"] == [t.name for t in resolution.thresholds]
    assert "prospective" == policy.priority_change


@pytest.mark.parametrize(
    ("config", "path", "message"),
    [
        ({"sla": {"calendar": "nowhere"}}, "sla.calendar", "unknown calendar"),
        ({"auto_close_after": "soon"}, "auto_close_after", "not a duration"),
        ({"priority": {"name": "itl"}}, "priority.name", "did you mean `itil`"),
        (
            {"calendars": {"x": {"timezone": "Mars/Olympus", "weekly": {"mon": ["09:00-17:00"]}}}},
            "calendars.x",
            "Mars/Olympus",
        ),
        (
            {"calendars": {"x": {"timezone": "UTC", "weekly": {"mon": ["9-5"]}}}},
            "calendars.x",
            "9-5",
        ),
        (
            {"calendars": {"x": {"timezone": "UTC", "weekly": {"fun-day": ["09:00-17:00"]}}}},
            "calendars.x.weekly.fun-day",
            "unknown day",
        ),
        (
            {"sla": {"metrics": {"resolution": {"targets": {"P9": "1h"}}}}},
            "sla.metrics.resolution.targets.P9",
            "expected 'P1', 'P2', 'P3', 'P4' or 'P5', got 'P9'",
        ),
        (
            {"sla": {"metrics": {"resolution": {"targets": {"P1": "1h"}, "thresholds": ["soon"]}}}},
            "sla.metrics.resolution.thresholds.0",
            "threshold",
        ),
        ({"escalation": [{"name": "ladder", "options": {"levels": []}}]}, "escalation.0", "level"),
        (
            {
                "escalation": [
                    {
                        "name": "sla_notices",
                        "options": {"rules": {"resolution": {"80%": "assignee"}}},
                    }
                ]
            },
            "escalation.0.resolution.80%",
            "reports no threshold 80%",
        ),
        ({"approval": {"stages": []}}, "approval", "stage"),
        ({"colour": "blue"}, "colour", "unknown field `colour`"),
        (
            {"calendars": {"x": {"timezone": "Europe/Berlin", "country": "DE"}}},
            "calendars.x.years",
            "needs years",
        ),
    ],
)
def test_bad_config_names_the_field(config: dict[str, object], path: str, message: str) -> None:
    """
    Every bad field is a ConfigError whose message starts with the field's path.
    """
    with pytest.raises(ConfigError, match=message) as info:
        load_desk(config)
    assert str(info.value).startswith(path)


def test_country_holidays(tmp_path: Path) -> None:
    """
    A calendar can take a country's public holidays for the years it names.
    """
    desk = load_desk(
        {
            "calendars": {
                "berlin": {
                    "timezone": "Europe/Berlin",
                    "weekly": {"mon-fri": ["09:00-17:00"]},
                    "country": "DE",
                    "years": [2026, 2027],
                }
            },
            "sla": {"calendar": "berlin"},
        }
    )
    calendar = desk.sla[TicketKind.INCIDENT].calendar
    christmas = datetime(2026, 12, 25, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert not calendar.is_open(christmas)  # type: ignore[union-attr]
    assert calendar.is_open(christmas + timedelta(days=3))  # type: ignore[union-attr]


def test_bad_sources() -> None:
    """
    Unreadable paths, unknown suffixes and non-mappings are ConfigErrors.
    """
    with pytest.raises(ConfigError, match="cannot read"):
        load_desk("/nonexistent/desk.toml")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_desk(42)


def test_bad_toml_is_reported(tmp_path: Path) -> None:
    """
    A TOML syntax error is a ConfigError naming the file.
    """
    path = tmp_path / "desk.toml"
    path.write_text("auto_close_after = ")
    with pytest.raises(ConfigError, match=r"desk\.toml"):
        load_desk(path)


@pytest.mark.parametrize(
    ("text", "seconds"), [("4h", 14400), ("1h30m", 5400), ("2d", 172800), ("PT4H", 14400), (90, 90)]
)
def test_durations(text: object, seconds: int) -> None:
    """
    Durations read as '4h', '1h30m', '2d', ISO 8601 or seconds.
    """
    assert timedelta(seconds=seconds) == parse_duration(text)


def test_every_problem_of_the_shape_is_reported_at_once_with_its_path() -> None:
    """
    Wrong values in several sections raise one ConfigError listing each, one per line.
    """
    with pytest.raises(ConfigError) as info:
        load_desk(
            {
                "auto_close_after": "soon",
                "hold_reasons": [],
                "calendars": {"x": {"timezone": 5}},
                "limits": {"title": 0},
            }
        )
    expected = [
        ("calendars", "x", "timezone"),
        ("auto_close_after",),
        ("hold_reasons",),
        ("limits", "title"),
    ]
    assert expected == [path for path, _ in info.value.problems]
    assert [".".join(map(str, p)) for p in expected] == [
        line.split(": ", 1)[0] for line in str(info.value).splitlines()
    ]
    assert ("calendars", "x", "timezone") == info.value.path


def test_every_calendar_sla_metric_and_policy_is_checked_before_raising() -> None:
    """
    Two bad calendars, two bad thresholds and an unknown policy all land in one error.
    """
    with pytest.raises(ConfigError) as info:
        load_desk(
            {
                "calendars": {
                    "mars": {"timezone": "Mars/Olympus", "weekly": {"mon": ["09:00-17:00"]}},
                    "office": {"timezone": "UTC", "weekly": {"fun-day": ["09:00-17:00"]}},
                    "ok": {"timezone": "UTC", "always": True},
                },
                "sla": {
                    "calendar": "ok",
                    "metrics": {
                        "resolution": {"targets": {"P1": "4h"}, "thresholds": ["soon"]},
                        "first_response": {"targets": {"P1": "1h"}, "thresholds": ["50%", "x"]},
                    },
                },
                "priority": {"name": "itl"},
            }
        )
    assert [
        "calendars.mars.timezone",
        "calendars.office.weekly.fun-day",
        "sla.metrics.resolution.thresholds.0",
        "sla.metrics.first_response.thresholds.1",
        "priority.name",
    ] == [line.split(": ", 1)[0] for line in str(info.value).splitlines()]


@pytest.mark.parametrize(
    ("config", "path", "message"),
    [
        (
            {
                "calendars": {"office": {"time_zone": "Europe/London"}},
                "sla": {"calendar": "office"},
            },
            "calendars.office.time_zone",
            "unknown field `time_zone` (did you mean `timezone`?)",
        ),
        ({"reopen_windw": "3d"}, "reopen_windw", "unknown field `reopen_windw` (did you mean"),
        ({"sla": {"calender": "x"}}, "sla.calender", "(did you mean `calendar`?)"),
        ({"limits": {"titel": 80}}, "limits.titel", "(did you mean `title`?)"),
        (
            {"sla": {"metrics": {"resolutoin": {"targets": {"P1": "1h"}}}}},
            "sla.metrics.resolutoin",
            "(did you mean `resolution`?)",
        ),
    ],
)
def test_a_misspelled_key_is_one_problem_with_a_suggestion(
    config: dict[str, object], path: str, message: str
) -> None:
    """
    A key close to a field of its table is reported once, with the field it stands for.
    """
    with pytest.raises(ConfigError) as info:
        load_desk(config)
    assert 1 == len(info.value.problems)
    assert f"{path}: " == str(info.value)[: len(path) + 2]
    assert message in info.value.message


def test_an_unknown_key_far_from_any_field_lists_the_known_ones() -> None:
    """
    Without a close match, the message says which keys the table accepts.
    """
    with pytest.raises(ConfigError) as info:
        load_desk({"directory": {"colour": "blue"}})
    assert "unknown field `colour`; known fields: managers, supervisors" == info.value.message


#: Bad configurations of many kinds: every one of them must read as written for a person.
BAD_CONFIGS: list[dict[str, Any]] = [
    {"auto_close_after": "soon"},
    {"auto_close_after": True},
    {"reopen_window": "0s"},
    {"reopen_window": "PXYZ"},
    {"hold_reasons": []},
    {"sla": 3},
    {"sla": {"priority_change": "sometimes"}},
    {"sla": {"metrics": {"resolution": {"targets": {"P1": "fast"}}}}},
    {"sla": {"metrics": {"resolution": {}}}},
    {"calendars": {"x": {"timezone": "UTC", "holidays": ["Christmas"]}}},
    {"calendars": {"x": {"timezone": "UTC", "years": [2026]}}},
    {"approval": {"stages": [{"approvers": ["max"], "required": "some"}]}},
    {"approval": {"stages": "max"}},
    {"escalation": {"name": "sla_notices"}},
    {"limits": {"title": -1, "comment": "long"}},
    {"calendars": {"x": {"timezone": "Mars/Olympus"}}},
]
PYDANTIC_WORDS = ("Value error", "Assertion failed", "https://", "pydantic", "Input should be")


@pytest.mark.parametrize("config", BAD_CONFIGS)
def test_no_message_carries_pydantic_prefixes_or_urls(config: dict[str, Any]) -> None:
    """
    Every line of a config error is `path: message` in plain words, never pydantic's.
    """
    with pytest.raises(ConfigError) as info:
        load_desk(config)
    for path, message in info.value.problems:
        assert path
        assert [] == [w for w in PYDANTIC_WORDS if w in message]
        assert message[:1] == message[:1].lower()


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@given(
    section=st.sampled_from(sorted(DeskConfig.model_fields)),
    key=st.sampled_from(["", "calendar", "title", "timezone", "name", "stages", "x"]),
    value=JUNK,
)
def test_junk_anywhere_is_a_config_error_in_plain_words(section: str, key: str, value: Any) -> None:
    """
    Whatever junk a section or one of its keys holds, the error has no pydantic wording.
    """
    config: dict[str, Any] = {section: {key: value} if key else value}
    try:
        load_desk(config)
    except ConfigError as error:
        for path, message in error.problems:
            assert path
            assert [] == [w for w in PYDANTIC_WORDS if w in message]


def test_configuring_one_metric_keeps_the_defaults_of_the_others() -> None:
    """
    Setting only the resolution targets leaves the ITIL response and update clocks on.
    """
    desk = load_desk({"sla": {"metrics": {"resolution": {"targets": {"P1": "2h"}}}}})
    itil = SlaPolicy.itil(BusinessCalendar.always("UTC"))
    for kind in TicketKind:
        metrics = desk.sla[kind].metrics
        assert set(Metric) == set(metrics)
        assert {Priority.P1: timedelta(hours=2)} == dict(metrics[Metric.RESOLUTION].targets)
        for metric in (Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE, Metric.PERIODIC_UPDATE):
            assert itil.metrics[metric] == metrics[metric]


def test_a_kinds_own_section_also_keeps_the_other_metrics() -> None:
    """
    A per-kind SLA section that sets one metric keeps that kind's other defaults too.
    """
    desk = load_desk(
        {"sla": {"service_request": {"metrics": {"first_response": {"targets": {"P3": "2d"}}}}}}
    )
    metrics = desk.sla[TicketKind.SERVICE_REQUEST].metrics
    assert set(Metric) == set(metrics)
    assert {Priority.P3: timedelta(days=2)} == dict(metrics[Metric.FIRST_RESPONSE].targets)


def test_an_empty_targets_table_stops_measuring_a_metric() -> None:
    """
    `targets = {}` is how a desk turns a default metric off: it has no target at all.
    """
    desk = load_desk({"sla": {"metrics": {"periodic_update": {"targets": {}}}}})
    assert {} == dict(desk.sla[TicketKind.INCIDENT].metrics[Metric.PERIODIC_UPDATE].targets)


def test_limits_come_from_the_toml_and_keep_defaults_for_keys_left_out(tmp_path: Path) -> None:
    """
    A [limits] section sets the limits it names; the others keep Limits' defaults.
    """
    path = tmp_path / "desk.toml"
    path.write_text("[limits]\ntitle = 80\ncomment = 4000\n", encoding="utf-8")
    desk = load_desk(path)
    assert Limits(title=80, comment=4000) == desk.limits
    assert Limits() == load_desk({}).limits


@pytest.mark.parametrize("value", [0, -5, True, "200", 1.5, None])
def test_bad_limits_are_config_errors_naming_the_limit(value: object) -> None:
    """
    A limit that is not a positive whole number is a ConfigError at limits.<field>.
    """
    with pytest.raises(ConfigError) as info:
        load_desk({"limits": {"description": value}})
    assert [("limits", "description")] == [path for path, _ in info.value.problems]


def test_the_limits_section_mirrors_the_limits_class() -> None:
    """
    [limits] has exactly the fields of Limits, with the same defaults.
    """
    assert {f.name: f.default for f in attrs.fields(Limits)} == {
        name: info.default for name, info in LimitsConfig.model_fields.items()
    }


def test_the_json_schema_carries_the_field_descriptions_and_examples() -> None:
    """
    DeskConfig's JSON Schema documents fields, nested ones included.
    """
    schema = DeskConfig.model_json_schema()
    properties = schema["properties"]
    assert (
        "How long after resolution a requester may reopen a ticket."
        == (properties["reopen_window"]["description"])
    )
    assert ["7d"] == properties["reopen_window"]["examples"]
    timezone = schema["$defs"]["CalendarConfig"]["properties"]["timezone"]
    assert "The IANA time zone of the opening hours." == timezone["description"]
    assert (
        "the metrics not configured keep theirs"
        in (schema["$defs"]["SlaConfig"]["properties"]["metrics"]["description"])
    )


def test_a_config_error_with_one_problem_lists_it_and_keeps_its_old_form() -> None:
    """
    ConfigError(message, path=...) still reads `path: message` and holds one problem.
    """
    error = ConfigError("unknown calendar 'x'", path=("sla", "calendar"))
    assert "sla.calendar: unknown calendar 'x'" == str(error)
    assert ((("sla", "calendar"), "unknown calendar 'x'"),) == error.problems
    with pytest.raises(ValueError, match="at least one problem"):
        ConfigError.from_problems([])


@pytest.mark.parametrize("value", [10**15, float("nan"), float("inf"), "99999999999999d"])
def test_a_duration_out_of_range_is_a_config_error(value: object) -> None:
    """
    A duration beyond what a timedelta holds is a ConfigError with its path, not a crash.
    """
    with pytest.raises(ConfigError, match=r"auto_close_after: duration .* is out of range"):
        load_desk({"auto_close_after": value})
