"""The three front doors (trio, asyncio, blocking) expose the same calls and parameters.

Introspection, as ``tests/options/test_declarations.py`` does for the options: every
command has the same parameters (name, kind, default, annotation) on the trio client
(``dmsproto.Client``), the asyncio client (``dmsproto.aio.Client``) and the blocking
facade (``dmsproto.sync.Client``), which adds only its callback parameters; the two
async clients share one implementation of each command; all three ``connect``s take
the one declaration of the options.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any

import pytest

import dmsproto
import dmsproto.aio as da
import dmsproto.client as dc
import dmsproto.sync as ds
from dmsproto.client._base import ClientBase, SubscriptionBase
from dmsproto.options import ConnectOptions
from tests.options.test_declarations import unpacked

COMMANDS = ("get", "get_many", "query", "set", "rename", "delete", "history", "changelog",
            "changelog_groups", "changelog_read", "batch", "subscribe")
#: what the blocking facade adds to a command (callback subscriptions)
SYNC_EXTRA = {"subscribe": {"callback", "on_gap"}}
#: the sans-I/O core is not thread-safe; closing is ``close()`` there, ``aclose()`` here
ASYNC_ONLY = {"aclose", "core"}


def public(cls: type) -> set[str]:
    return {name for name in dir(cls) if not name.startswith("_")}


def parameters(fn: Callable[..., Any]) -> dict[str, tuple[Any, Any, Any]]:
    """Each parameter (but ``self``) with its kind, default and annotation."""
    sig = inspect.signature(fn)
    return {name: (p.kind, p.default, p.annotation)
            for name, p in sig.parameters.items() if name != "self"}


def every_signature(fn: Callable[..., Any]) -> list[dict[str, tuple[Any, Any, Any]]]:
    """The implementation's parameters and each overload's."""
    return [parameters(f) for f in (fn, *typing.get_overloads(fn))]


def test_the_async_clients_have_the_same_public_names() -> None:
    assert public(dc.Client) == public(da.Client)
    assert public(dc.Subscription) == public(da.Subscription)
    assert {"get", "subscribe", "aclose", "url", "transport", "connected", "reconnects",
            "protocol", "core", "stats"} <= public(da.Client)


STATE = ("url", "transport", "connected", "reconnects", "protocol", "stats")


@pytest.mark.parametrize("name", STATE)
def test_the_three_front_doors_report_the_same_state(name: str) -> None:
    """Each state property has the same type on all three (``stats``: the core's counters)."""
    hints = [typing.get_type_hints(typing.cast(property, getattr(cls, name)).fget)["return"]
             for cls in (dc.Client, da.Client, ds.Client)]
    assert hints[0] == hints[1] == hints[2], hints
    assert getattr(dc.Client, name) is getattr(da.Client, name) is getattr(ClientBase, name)


@pytest.mark.parametrize("name", COMMANDS)
def test_the_async_clients_share_each_command(name: str) -> None:
    """One implementation of each command: the same function object in both clients."""
    trio_fn = getattr(dc.Client, name)
    aio_fn = getattr(da.Client, name)
    assert trio_fn is aio_fn is getattr(ClientBase, name)
    assert every_signature(trio_fn) == every_signature(aio_fn)


@pytest.mark.parametrize("name", COMMANDS)
def test_the_blocking_facade_takes_the_same_parameters(name: str) -> None:
    shared = parameters(getattr(ClientBase, name))
    blocking = parameters(getattr(ds.Client, name))
    extra = SYNC_EXTRA.get(name, set())
    assert set(blocking) - extra == set(shared)
    # same kind and default; the annotation too, but for what the loop changes
    assert {k: blocking[k][:2] for k in shared} == {k: v[:2] for k, v in shared.items()}
    for key, (_, _, annotation) in shared.items():
        assert blocking[key][2] == annotation, (name, key)


@pytest.mark.parametrize("name", COMMANDS)
def test_the_docstrings_are_written_once(name: str) -> None:
    doc = inspect.getdoc(getattr(ClientBase, name))
    assert doc and inspect.getdoc(getattr(da.Client, name)) == doc


def test_all_three_front_doors_have_the_same_calls_and_state() -> None:
    assert public(dc.Client) - public(ds.Client) == ASYNC_ONLY
    assert public(da.Client) - public(ds.Client) == ASYNC_ONLY
    blocking_only = public(ds.Client) - public(da.Client)
    assert blocking_only == {"close", "closed", "threads"}


def test_all_three_connects_take_the_one_declaration() -> None:
    for connect in (dc.connect, da.connect):
        kind, named = unpacked(connect)
        assert kind is ConnectOptions and named == set()
    sync_kind, _ = unpacked(ds.connect)
    assert ConnectOptions.__annotations__.items() <= sync_kind.__annotations__.items()
    positional = [inspect.signature(inspect.unwrap(c)).parameters["url"].kind
                  for c in (dc.connect, da.connect, ds.connect)]
    assert set(positional) == {inspect.Parameter.POSITIONAL_ONLY}


def test_the_subscriptions_share_their_logic() -> None:
    for cls in (dc.Subscription, da.Subscription):
        assert issubclass(cls, SubscriptionBase)
        own = {n for n in vars(cls) if not n.startswith("__") or n == "__anext__"}
        # only the waiting is the loop's: how to wait for an item, how to wake the waiter
        assert own <= {"__anext__", "_release", "__init__", "__doc__", "__module__",
                       "__orig_bases__", "__parameters__", "__annotations__"}, own


def test_the_package_offers_the_asyncio_client() -> None:
    assert da.ReconnectPolicy is dmsproto.ReconnectPolicy
    assert set(da.__all__) == {"Client", "ReconnectPolicy", "Subscription", "connect"}
