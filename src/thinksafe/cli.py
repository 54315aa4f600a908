"""The one CLI: `thinksafe <stage> …`. Snakemake rules call it; it also runs without Snakemake.

Each stage is a module in thinksafe.commands with `add_arguments(parser)` and `run(args) -> int`;
modules are imported only when their stage runs, so `thinksafe aggregate` never imports torch.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import logging
import sys

from thinksafe.errors import ThinksafeError

# Storage failures are the machine's, not a bug: one line naming the file, like bad input.
STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG}

COMMANDS = {
    "build-model": ("build_model", "build the embedded demo model or the tiny test model"),
    "download": ("download", "fetch a benchmark or tuning source (or copy it from a mirror) and verify it"),
    "normalize": ("normalize", "turn raw benchmark files into normalized items"),
    "generate": ("generate", "generate one shard of responses, resumable"),
    "judge": ("judge", "judge thought and answer of one shard"),
    "audit": ("audit", "score a judge against human-labelled data"),
    "aggregate": ("aggregate", "metrics and tables from the judgments"),
    "figures": ("figures", "figures from the tables"),
    "report": ("report", "the self-contained HTML report"),
    "build-dataset": ("build_dataset", "build a tuning set (TiS import or rebuild, or a baseline)"),
    "guard": ("guard", "fail if a tuning set overlaps an evaluation benchmark"),
    "finetune": ("finetune", "LoRA or full SFT, resumable"),
    "lock": ("lock", "pin every hub model of a run to a commit (writes the lock file the DAG reads)"),
    "plan": ("plan", "before a run: jobs, submissions, GPU-hours, API calls, tokens, dollars, disk"),
    "check": ("check", "preflight: can each model of the run be loaded and asked, and does it fit its GPUs"),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="thinksafe", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True, metavar="<stage>")
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    # Parse the stage name first, then import only that stage's module.
    known, rest = parser.parse_known_args(argv)
    module = importlib.import_module(f"thinksafe.commands.{COMMANDS[known.command][0]}")
    stage = argparse.ArgumentParser(prog=f"thinksafe {known.command}", description=COMMANDS[known.command][1])
    module.add_arguments(stage)
    args = stage.parse_args(rest)
    logging.basicConfig(
        level=logging.DEBUG if known.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(module.run(args) or 0)
    except ThinksafeError as e:
        print(f"thinksafe {known.command}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        if e.errno not in STORAGE_ERRNOS:
            raise
        # A failed write or fsync carries no filename: name the output the command was writing.
        where = e.filename or getattr(args, "out", None) or getattr(args, "out_dir", None) or "output"
        print(f"thinksafe {known.command}: error: {where}: {e.strerror}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
