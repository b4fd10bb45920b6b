"""Mistakes mypy --strict must report (``test_readme_example.py`` checks each marked line)."""

from __future__ import annotations

import dmsproto
import dmsproto.sync
from dmsproto.options import ConnectOptions


async def main() -> None:
    async with dmsproto.connect(timout=5) as dms:  # error: call-arg
        await dms.query("Plant", max_depth="0")  # error: arg-type
        await dms.query("Plant", regexpath=".*")  # error: call-arg
        dms.subscribe("Plant", has_alarm_data="yes")  # error: call-overload
    async with dmsproto.connect(protocol="2.0"):  # error: arg-type
        pass
    options: ConnectOptions = {"whois": 1}  # error: typeddict-item
    print(options)


def blocking() -> None:
    with dmsproto.sync.connect(callback_queue_size="x") as dms:  # error: arg-type
        dms.query("Plant", has_changelog=1.5)  # error: arg-type
    with dmsproto.sync.connect(slow_callbacks=1.0):  # error: call-arg
        pass
