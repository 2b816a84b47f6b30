"""The timer benchmark's in-run clock (tests.support.callback_clock): which copy time goes to which hook."""

from __future__ import annotations

import time

from tests.support.callback_clock import CallbackClock


class Result:
    pass


def test_a_hook_is_charged_the_copy_made_for_it_and_its_own_time():
    clock = CallbackClock("some.callback")
    copy = clock.timed_copy(lambda result: (time.sleep(0.01), result)[1])
    calls = []
    hook = clock.timed_hook(lambda result: (time.sleep(0.02), calls.append(result)), Result)

    result = copy(Result())
    hook(result)

    assert calls == [result]
    assert clock.hooks == 1
    assert clock.copy_seconds >= 0.01
    assert clock.hook_seconds >= 0.02


def test_a_hook_without_a_result_is_not_charged_a_copy():
    clock = CallbackClock("some.callback")
    copy = clock.timed_copy(lambda result: (time.sleep(0.01), result)[1])
    copy(Result())  # made for another plugin, called before this one
    hook = clock.timed_hook(lambda task, is_conditional: None, Result)

    hook(object(), False)

    assert clock.hooks == 1
    assert clock.copy_seconds == 0.0
    assert clock.report() == {"callback": "some.callback", "hook_seconds": clock.hook_seconds, "copy_seconds": 0.0,
                              "hooks": 1}
