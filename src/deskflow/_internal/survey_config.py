"""
The ``[surveys]`` section of a desk's configuration and the
[`SurveyPolicy`][deskflow.surveys.SurveyPolicy] it describes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from deskflow._internal.config_models import ConfigModel, doc
from deskflow._internal.config_text import parse_duration
from deskflow.surveys import SURVEY_TEMPLATE, SurveyPolicy

__all__ = ["SurveyConfig", "SurveySections", "survey_policy"]

_Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class SurveyConfig(ConfigModel):
    """
    When requesters are sent a satisfaction survey.
    """

    on: Literal["close", "resolve"] = doc(
        "Send the survey when a solved ticket is closed (`close`) or when it is resolved "
        "(`resolve`).",
        "close",
        "close",
    )
    sample_percent: float = doc(
        "The share of tickets surveyed, in percent (chosen from the ticket id).",
        25,
        100.0,
        ge=0,
        le=100,
    )
    cooldown: Annotated[_Duration, Field(ge=timedelta(0))] = doc(
        "A requester is sent at most one survey per this long (`0s`: no cooldown).",
        "30d",
        timedelta(days=30),
    )
    expires_after: Annotated[_Duration, Field(gt=timedelta(0))] = doc(
        "How long after it is sent a survey takes answers.", "14d", timedelta(days=14)
    )
    template: str = doc(
        "The notification template of the survey message.",
        SURVEY_TEMPLATE,
        SURVEY_TEMPLATE,
        min_length=1,
    )


class SurveySections(ConfigModel):
    """
    The survey section of a desk's configuration.
    """

    surveys: SurveyConfig | None = doc(
        "Satisfaction surveys; unset, none are sent.",
        {"on": "close", "sample_percent": 25, "cooldown": "30d", "expires_after": "14d"},
        None,
    )


def survey_policy(config: SurveySections) -> SurveyPolicy | None:
    """
    The desk's survey policy as ``config`` describes it, or None.
    """
    spec = config.surveys
    if spec is None:
        return None
    return SurveyPolicy(
        on=spec.on,
        sample_percent=spec.sample_percent,
        cooldown=spec.cooldown,
        expires_after=spec.expires_after,
        template=spec.template,
    )
