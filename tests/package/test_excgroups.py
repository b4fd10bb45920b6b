"""``sole_exception``: the one exception a nursery's group stands for."""

from __future__ import annotations

import pytest
import trio

from dmsproto.errors import ConnectError
from dmsproto.excgroups import sole_exception


def cancelled() -> trio.Cancelled:
    return trio.Cancelled._create()


def test_a_plain_exception_stands_for_itself() -> None:
    error = ConnectError("refused")
    assert sole_exception(error) is error


def test_one_real_error_among_nested_cancellations() -> None:
    error = ConnectError("refused")
    group = BaseExceptionGroup("outer", [
        cancelled(),
        BaseExceptionGroup("inner", [cancelled(), ExceptionGroup("deep", [error])]),
    ])
    assert sole_exception(group) is error


def test_several_real_errors_stand_for_no_single_one() -> None:
    group = BaseExceptionGroup("two", [ValueError("a"), cancelled(),
                                       ExceptionGroup("inner", [KeyError("b")])])
    assert sole_exception(group) is None


def test_only_cancellations_stand_for_the_first() -> None:
    first, second = cancelled(), cancelled()
    group = BaseExceptionGroup("all", [BaseExceptionGroup("inner", [first]), second])
    assert sole_exception(group) is first


async def test_a_real_nursery_failure() -> None:
    async def fail() -> None:
        await trio.sleep(0)
        raise ConnectError("refused")

    with pytest.raises(BaseExceptionGroup) as info, trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(trio.sleep_forever)
            nursery.start_soon(fail)
    found = sole_exception(info.value)
    assert isinstance(found, ConnectError) and str(found) == "refused"
