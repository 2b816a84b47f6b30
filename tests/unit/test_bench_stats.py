"""The benchmarks' ratio interval (tests.support.bench_stats): pure arithmetic, checked on known samples."""

from __future__ import annotations

import pytest

from tests.support.bench_stats import describe_ratio, median_of_ratios, ratio_interval, ratio_of_medians, spread


def test_the_interval_contains_the_ratio_and_is_reproducible():
    drill = [5.0, 5.2, 4.9, 5.4, 5.1, 5.3, 5.0, 5.2]
    direct = [5.0, 5.0, 5.1, 5.2, 4.9, 5.1, 5.0, 5.0]
    low, high = ratio_interval(drill, direct)
    assert low <= ratio_of_medians(drill, direct) <= high
    assert (low, high) == ratio_interval(drill, direct)


def test_identical_rounds_leave_no_doubt_and_noisy_rounds_do():
    steady = ratio_interval([1.01] * 8, [1.0] * 8)
    assert steady == (pytest.approx(1.01), pytest.approx(1.01))
    noisy_low, noisy_high = ratio_interval([0.9, 1.2, 1.0, 1.1, 0.95, 1.15, 1.05, 1.0], [1.0, 1.0, 1.1, 0.9, 1.05, 1.0, 0.95, 1.0])
    assert noisy_high - noisy_low > 0.05


def test_the_verdict_says_whether_the_target_is_met_above_the_noise():
    assert "OK, above the noise" in describe_ratio([1.01] * 8, [1.0] * 8, 1.02, at_most=False)
    assert "ABOVE TARGET" in describe_ratio([1.1] * 8, [1.0] * 8, 1.02, at_most=False)
    within = describe_ratio([0.95, 1.06, 1.0, 1.04, 0.97, 1.05, 1.01, 0.99], [1.0] * 8, 1.02, at_most=False)
    assert "within the noise" in within
    # "<" and "<=" differ exactly at the target
    assert "ABOVE TARGET" in describe_ratio([1.02] * 4, [1.0] * 4, 1.02, at_most=False)
    assert "OK" in describe_ratio([1.02] * 4, [1.0] * 4, 1.02, at_most=True)


def test_spread_is_the_interquartile_range_over_the_median():
    assert spread([1.0, 2.0, 3.0, 4.0, 5.0]) == pytest.approx((4.5 - 1.5) / 3.0)


def test_an_interval_needs_pairs():
    with pytest.raises(ValueError):
        ratio_interval([1.0], [1.0])
    with pytest.raises(ValueError):
        ratio_interval([1.0, 2.0], [1.0])


def test_median_of_ratios_pairs_each_round_with_itself():
    # Both sides slow together in the third round: each round's own ratio stays 1.01.
    slow_moments = [1.0, 1.0, 1.3, 1.0, 1.1, 1.0, 0.9, 1.0]
    with_it = [1.01 * moment for moment in slow_moments]
    assert median_of_ratios(with_it, slow_moments) == pytest.approx(1.01)
    low, high = ratio_interval(with_it, slow_moments, statistic=median_of_ratios)
    assert low == pytest.approx(1.01) and high == pytest.approx(1.01)
    assert "OK, above the noise" in describe_ratio(with_it, slow_moments, 1.02, at_most=False, statistic=median_of_ratios)
    # The ratio of medians does not pair them, and cannot tell as sharply.
    assert ratio_interval(with_it, slow_moments)[1] > high
    with pytest.raises(ValueError):
        median_of_ratios([1.0, 2.0], [1.0])
