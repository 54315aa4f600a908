"""Run the real `thinksafe` CLI as a child process: bounded by a timeout, killable at a chosen point."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

BIN = Path(sys.executable).parent
THINKSAFE = str(BIN / "thinksafe")


def env(**extra: str) -> dict[str, str]:
    return dict(
        os.environ, PATH=f"{BIN}:{os.environ['PATH']}", HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
        DVC_NO_ANALYTICS="1", **extra,
    )  # fmt: skip


def thinksafe(*args: str, cwd: Path, timeout: float = 300, **extra_env: str) -> subprocess.CompletedProcess:
    """`thinksafe ARGS` in `cwd`; its whole process group gets SIGKILL if it outlives `timeout`."""
    proc = subprocess.Popen(
        [THINKSAFE, *args], cwd=cwd, env=env(**extra_env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError(f"thinksafe {args[0]}: killed after {timeout} s\n{err[-3000:]}") from None
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def kill_when(
    args: list[str],
    cwd: Path,
    ready: Callable[[], bool],
    rng: random.Random,
    log: Path,
    max_delay_s: float,
    timeout: float = 180,
) -> bool:
    """Start `thinksafe ARGS`; once `ready()` holds, wait a random moment and SIGKILL it.

    Returns True if it was killed, False if it finished first. Its stderr goes to `log` (appended), so a
    test can read what each attempt did.
    """
    with log.open("a") as err:
        err.write(f"--- attempt ({' '.join(args[:1])})\n")
        err.flush()
        proc = subprocess.Popen(
            [THINKSAFE, *args], cwd=cwd, env=env(), stdout=subprocess.DEVNULL, stderr=err,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        try:
            while proc.poll() is None:
                if time.monotonic() > deadline:
                    raise AssertionError(f"thinksafe {args[0]} did not reach the kill point in {timeout} s")
                if ready():
                    time.sleep(rng.uniform(0, max_delay_s))  # anywhere: mid-batch, mid-save, mid-write
                    if proc.poll() is not None:
                        return False
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=30)
                    return True
                time.sleep(0.005)
            return False
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
