"""The timer benchmark's in-run clock (tests.support.callback_clock): which copy time goes to which hook."""

from __future__ import annotations

import mmap
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
    # asleep, neither computed: their CPU time is a small part of their wall time
    assert clock.copy_cpu_seconds < clock.copy_seconds / 2
    assert clock.hook_cpu_seconds < clock.hook_seconds / 2


def busy(seconds):
    """Compute (not wait) for ``seconds`` of this thread's CPU time."""
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        pass


def test_a_hook_that_computes_is_charged_its_cpu_time_and_the_copy_made_for_it():
    clock = CallbackClock("some.callback")
    copy = clock.timed_copy(lambda result: (busy(0.01), result)[1])
    hook = clock.timed_hook(lambda result: busy(0.02), Result)

    hook(copy(Result()))

    assert clock.copy_cpu_seconds >= 0.01
    assert clock.hook_cpu_seconds >= 0.02
    assert clock.hook_seconds >= clock.hook_cpu_seconds * 0.9  # the wall clock ran at least as long, within its resolution


def test_a_hook_without_a_result_is_not_charged_a_copy():
    clock = CallbackClock("some.callback")
    copy = clock.timed_copy(lambda result: (time.sleep(0.01), result)[1])
    copy(Result())  # made for another plugin, called before this one
    hook = clock.timed_hook(lambda task, is_conditional: None, Result)

    hook(object(), False)

    assert clock.hooks == 1
    assert clock.copy_seconds == 0.0
    assert clock.report() == {"callback": "some.callback", "hook_seconds": clock.hook_seconds, "copy_seconds": 0.0,
                              "hook_cpu_seconds": clock.hook_cpu_seconds, "copy_cpu_seconds": 0.0,
                              "hook_page_faults": clock.hook_page_faults, "hooks": 1}


def test_a_hook_is_charged_the_pages_it_touches_for_the_first_time():
    clock = CallbackClock("some.callback")
    pages = 256
    fresh = mmap.mmap(-1, pages * mmap.PAGESIZE)  # anonymous: each page is faulted in on its first write

    def touch(result):
        for offset in range(0, len(fresh), mmap.PAGESIZE):
            fresh[offset] = 1

    hook = clock.timed_hook(touch, Result)
    hook(Result())

    assert clock.hook_page_faults >= pages // 2
