"""Reading a gauge from a Prometheus text exposition."""

from __future__ import annotations

import pytest

from hadrill.prometheus import SelectorError, parse_selector, value_of

EXPOSITION = """\
# HELP app_outbox_pending Outbox events waiting.
# TYPE app_outbox_pending gauge
app_outbox_pending{queue="mail",region="eu"} 3
app_outbox_pending{queue="mail",region="us"} 4.5
app_outbox_pending{queue="sms",region="eu"} 10 1700000000000
app_outbox_failed 2
weird{label="a \\"quoted\\" value, with comma"} 7
broken line here
app_nan NaN
"""


def test_selectors_parse_names_and_labels():
    assert parse_selector("app_outbox_pending").labels == {}
    selector = parse_selector(' app_outbox_pending{queue="mail", region="eu"} ')
    assert selector.name == "app_outbox_pending" and dict(selector.labels) == {"queue": "mail", "region": "eu"}
    assert str(selector) == 'app_outbox_pending{queue="mail",region="eu"}'
    for bad in ["", "1abc", "name{queue=mail}", 'name{queue="x"']:
        with pytest.raises(SelectorError):
            parse_selector(bad)


def test_matching_series_are_summed():
    assert value_of(EXPOSITION, parse_selector("app_outbox_pending")) == 17.5
    assert value_of(EXPOSITION, parse_selector('app_outbox_pending{queue="mail"}')) == 7.5
    assert value_of(EXPOSITION, parse_selector('app_outbox_pending{region="eu"}')) == 13.0
    assert value_of(EXPOSITION, parse_selector("app_outbox_failed")) == 2.0
    assert value_of(EXPOSITION, parse_selector('weird{label="a \\"quoted\\" value, with comma"}')) == 7.0


def test_an_absent_gauge_is_none_not_zero():
    assert value_of(EXPOSITION, parse_selector("app_outbox_lag")) is None
    assert value_of(EXPOSITION, parse_selector('app_outbox_pending{queue="push"}')) is None
    assert value_of(EXPOSITION, parse_selector("app_nan")) is None
