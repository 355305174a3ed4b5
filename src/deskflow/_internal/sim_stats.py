"""
Small statistics for the simulator: confidence intervals of a mean over a few seeds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["mean_interval"]

#: Two-sided 95% quantiles of Student's t distribution, by degrees of freedom (1 to 30).
_T95 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def mean_interval(values: Sequence[float]) -> tuple[float, float, float]:
    """
    The mean of ``values`` and its 95% confidence interval (Student's t); with fewer than
    two values the interval is the mean itself.

    >>> [round(x, 3) for x in mean_interval([1.0, 2.0, 3.0])]
    [2.0, -0.484, 4.484]
    >>> mean_interval([5.0])
    (5.0, 5.0, 5.0)
    """
    n = len(values)
    if n == 0:
        raise ValueError("no values")
    mean = math.fsum(values) / n
    if n < 2:
        return mean, mean, mean
    variance = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    t = _T95[n - 2] if n - 1 <= len(_T95) else 1.960
    half = t * math.sqrt(variance / n)
    return mean, mean - half, mean + half
