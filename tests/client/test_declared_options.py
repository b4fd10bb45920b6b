"""An option and a filter added to their declarations reach both async clients unchanged."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

import dmsproto.client as dc
from dmsproto.errors import ConnectError, NotInVersionError
from dmsproto.sim.server import Simulator
from tests.support.backends import Backend, LoopSim

if TYPE_CHECKING:
    from conftest import Extension


def test_an_added_option_and_filter_reach_both_clients(
    extended_declarations: Extension, backend: Backend, sim: LoopSim
) -> None:
    ext = extended_declarations
    added: dict[str, Any] = {ext.option: 5}

    async def body() -> None:
        async with backend.connect(sim.url, **added) as dms:
            assert (await dms.get("Test:Int")).value == 1
            # the new filter passes query() and subscribe() and reaches the ops, where the
            # version's Query struct decides: it has no such member
            missing = f"'{ext.filter}' is not part of protocol 1.4"
            with pytest.raises(NotInVersionError, match=missing):
                await dms.query("", **{ext.filter: True})
            with pytest.raises(NotInVersionError, match=missing):
                dms.subscribe("Test", **{ext.filter: True})
            with pytest.raises(ConnectError, match=f"{ext.option} must be an int >= 0"):
                async with backend.connect(sim.url, **{ext.option: -1}):
                    pass  # pragma: no cover

    backend.run(body)


@pytest.mark.trio
async def test_without_the_declaration_they_are_refused(
    sim_factory: Callable[..., Simulator],
) -> None:
    async with sim_factory() as sim:
        with pytest.raises(TypeError, match="unexpected keyword argument 'retries'"):
            async with dc.connect(sim.url, retries=5):  # type: ignore[call-arg]
                pass  # pragma: no cover
        async with dc.connect(sim.url) as dms:
            with pytest.raises(TypeError, match="unexpected keyword argument 'has_unit'"):
                await dms.query("", has_unit=True)  # type: ignore[call-arg]
