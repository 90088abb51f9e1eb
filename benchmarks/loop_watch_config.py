"""Jupyter server config for the history benchmark: asyncio reports, on stderr, every callback
that holds the event loop longer than 5 ms ("Executing <...> took 0.006 seconds")."""

import asyncio

HELD_MS = 5.0


class WatchedLoops(asyncio.DefaultEventLoopPolicy):
    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        loop = super().new_event_loop()
        loop.set_debug(True)
        loop.slow_callback_duration = HELD_MS / 1000
        return loop


asyncio.set_event_loop_policy(WatchedLoops())
