"""The benchmarks' statistics: how far apart runs are, and how sure a ratio is.

On a shared machine one run of a side can be 10 % off another run of the same side. A ratio of
medians is reported with the interval a bootstrap gives it (rounds resampled as pairs, so that a
slow moment of the machine stays with the round it slowed), which says whether a difference of a
few percent stands above that noise. When both sides of a round run at the same moment (and so
see the same machine), the median of the rounds' own ratios is the sharper figure, reported the
same way.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Sequence

BOOTSTRAP_SAMPLES = 4000
CONFIDENCE = 0.90


def spread(values: Sequence[float]) -> float:
    """Interquartile range relative to the median."""
    quartiles = statistics.quantiles(values, n=4)
    return (quartiles[2] - quartiles[0]) / statistics.median(values)


def ratio_of_medians(numerators: Sequence[float], denominators: Sequence[float]) -> float:
    return statistics.median(numerators) / statistics.median(denominators)


def median_of_ratios(numerators: Sequence[float], denominators: Sequence[float]) -> float:
    """The median of each round's own ratio (numerator over denominator of the same round)."""
    return statistics.median(top / bottom for top, bottom in zip(numerators, denominators, strict=True))


def ratio_interval(numerators: Sequence[float], denominators: Sequence[float], *, seed: int = 17,
                   samples: int = BOOTSTRAP_SAMPLES, confidence: float = CONFIDENCE,
                   statistic: Callable[[Sequence[float], Sequence[float]], float] = ratio_of_medians) -> tuple[float, float]:
    """A percentile bootstrap interval of ``statistic`` (the ratio of medians unless told),
    resampling the rounds as pairs.

    Deterministic for a given seed, so that a run's printed interval can be recomputed from its
    printed runs.
    """
    if len(numerators) != len(denominators) or len(numerators) < 2:
        raise ValueError("an interval needs at least two rounds, as pairs")
    rng = random.Random(seed)
    pairs = list(zip(numerators, denominators))
    ratios = sorted(
        statistic(*zip(*(rng.choice(pairs) for _ in pairs)))  # type: ignore[arg-type]
        for _ in range(samples)
    )
    tail = (1 - confidence) / 2
    return ratios[int(tail * (samples - 1))], ratios[int((1 - tail) * (samples - 1))]


def describe_ratio(numerators: Sequence[float], denominators: Sequence[float], target: float, *,
                   at_most: bool = True,
                   statistic: Callable[[Sequence[float], Sequence[float]], float] = ratio_of_medians) -> str:
    """``1.012 (90% bootstrap interval 0.991-1.031 over 16 rounds; target < 1.02) -> VERDICT``: the
    ratio (``statistic``: of the medians unless told), its bootstrap interval, and whether the whole
    interval meets the target (above the noise), only the ratio does (within the noise), or neither
    (ABOVE TARGET)."""
    ratio = statistic(numerators, denominators)
    low, high = ratio_interval(numerators, denominators, statistic=statistic)
    meets = (lambda value: value <= target) if at_most else (lambda value: value < target)
    sign = "<=" if at_most else "<"
    if meets(high):
        verdict = "OK, above the noise (the whole interval meets the target)"
    elif meets(ratio):
        verdict = "OK by the medians, within the noise (the interval reaches past the target)"
    else:
        verdict = "ABOVE TARGET"
    return (f"{ratio:.3f} ({CONFIDENCE:.0%} bootstrap interval {low:.3f}-{high:.3f} over {len(numerators)} "
            f"rounds; target {sign} {target}) -> {verdict}")
