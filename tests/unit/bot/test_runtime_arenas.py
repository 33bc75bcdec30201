"""cap_malloc_arenas: threads that allocate share at most two glibc malloc arenas, instead of
one each (the soak's RSS growth without Python objects growing was arena fragmentation)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="malloc arenas are glibc's"
)

# Eight threads alive at once, each allocating through malloc (blocks past pymalloc's 512
# bytes), then the number of arenas glibc made (one <heap> per arena in malloc_info's XML).
PROGRAM = """
import ctypes, sys, threading
from forumbot.bot.runtime import cap_malloc_arenas
capped = cap_malloc_arenas() if sys.argv[1] == "cap" else False
barrier = threading.Barrier(8)
def work():
    blocks = [bytes(4096) for _ in range(64)]
    barrier.wait()
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
libc = ctypes.CDLL(None)
buf, size = ctypes.c_char_p(), ctypes.c_size_t()
libc.open_memstream.restype = ctypes.c_void_p
stream = libc.open_memstream(ctypes.byref(buf), ctypes.byref(size))
libc.malloc_info(0, ctypes.c_void_p(stream))
libc.fclose(ctypes.c_void_p(stream))
print(capped, ctypes.string_at(buf, size.value).decode().count("<heap nr="))
"""


def arenas(mode: str, **env: str) -> tuple[str, int]:
    environ = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"} | env
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, check=True,
        env=environ, timeout=60,
    ).stdout.split()  # fmt: skip
    return out[0], int(out[1])


def test_capped_threads_share_two_arenas() -> None:
    assert arenas("cap") == ("True", 2)
    _, default = arenas("default")
    assert default > 2  # without it, the threads had arenas of their own


def test_an_operators_own_setting_is_left_alone() -> None:
    assert arenas("cap", MALLOC_ARENA_MAX="4") == ("False", 4)


def test_forumbot_run_caps_the_arenas_before_anything_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typing import Any

    from click.testing import CliRunner

    from forumbot.bot import runtime
    from forumbot.cli.app import main

    calls: list[str] = []

    def run_event_loop(coro: Any) -> None:
        coro.close()
        calls.append("loop")

    monkeypatch.setattr(runtime, "cap_malloc_arenas", lambda: calls.append("cap") or True)
    monkeypatch.setattr(runtime, "run_event_loop", run_event_loop)
    result = CliRunner().invoke(main, ["run", "--demo"])
    assert result.exit_code == 0, result.output
    assert calls == ["cap", "loop"]
