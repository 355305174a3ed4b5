"""
Desk configuration from TOML, JSON or a mapping, with errors that name the bad field.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from deskflow import ConfigError, Metric, Priority, TicketKind
from deskflow.config import DEFAULT_CONFIG, load_desk, parse_duration
from deskflow.escalation import CompositePolicy


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
        ({"sla": {"calendar": "nowhere"}}, "sla.incident.calendar", "unknown calendar"),
        ({"auto_close_after": "soon"}, "auto_close_after", "not a duration"),
        ({"priority": {"name": "itl"}}, "priority", "unknown policy"),
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
            "Input should be",
        ),
        (
            {"sla": {"metrics": {"resolution": {"targets": {"P1": "1h"}, "thresholds": ["soon"]}}}},
            "sla.incident.metrics.resolution.thresholds",
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
        ({"colour": "blue"}, "colour", "Extra inputs"),
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
