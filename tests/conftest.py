"""
Shared test configuration: the Hypothesis profiles.

``dev`` is quick, for a developer's loop; ``ci`` runs many more examples. The Makefile picks
``ci`` when the ``CI`` variable is set; ``HYPOTHESIS_PROFILE`` chooses explicitly.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
