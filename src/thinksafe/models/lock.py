"""The revision lock: every hub model of a run pinned to the commit its revision named on the day of
`thinksafe lock`, so two runs a month apart load the same weights or say that they do not.

The lock file (config key `lock`, YAML) maps each registry entry to {hf_id, revision, commit}. The DAG
reads it through `apply`: an entry whose hf_id and requested revision match its lock line runs at the
locked commit (and keeps the name it asked for in `revision_ref`); a lock line made for another hf_id or
revision is stale and stops the run. Entries already pinned to a commit in the config need no lock.
"""

from __future__ import annotations

import copy
import datetime as dt
import sys
from pathlib import Path

import yaml

from thinksafe import config as tsconfig
from thinksafe import io
from thinksafe.errors import ThinksafeError
from thinksafe.models.hub import endpoint, is_commit, repo_state

VERSION = 1
SECTIONS = ("models", "judges")


def hub_entries(config: dict) -> dict[str, dict[str, dict]]:
    """The hub-hosted weights a run needs, per section: evaluated and tuned models, the tuning sets'
    captioners and teachers, and classifier judges. API models have no weights to pin."""
    names = list(tsconfig.evaluated_models(config))
    names += config["run"].get("tuning", {}).get("models", [])
    for dataset in config["run"].get("tuning", {}).get("datasets", []):
        entry = config.get("datasets", {}).get(dataset, {})
        names += [entry[k] for k in ("captioner", "teacher") if entry.get(k)]
    models = {}
    for name in dict.fromkeys(tsconfig.registry_name(n) for n in names):
        if name not in config["models"]:
            continue  # a built-in captioner or teacher (`template`), not a registry entry
        spec = tsconfig.resolve_model(config, name)
        if spec.get("hf_id") and not spec.get("path") and spec.get("backend") != "openai":
            models[name] = {"hf_id": spec["hf_id"], "revision": spec.get("revision", "main")}
    judges = {
        name: {"hf_id": entry["model"], "revision": entry.get("revision", "main")}
        for name in config["run"]["judges"]
        if (entry := config["judges"][name]).get("kind") == "classifier" and entry.get("model")
    }
    return {"models": models, "judges": judges}


def resolve(config: dict, previous: dict | None = None) -> dict:
    """Ask the hub for each entry's commit; entries of `previous` that this run does not use are kept."""
    lock: dict = {"version": VERSION, "endpoint": endpoint(),
                  "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}  # fmt: skip
    for section, entries in hub_entries(config).items():
        out = dict((previous or {}).get(section, {}))
        for name, entry in entries.items():
            if is_commit(entry["revision"]):
                out[name] = dict(entry, commit=entry["revision"])
                continue
            state = repo_state(entry["hf_id"], entry["revision"])
            out[name] = dict(entry, commit=state.commit)
        lock[section] = dict(sorted(out.items()))
    return lock


def read(path: str | Path) -> dict:
    """A lock file, checked: one line naming the file and the entry when it is malformed."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise ThinksafeError(f"{path}: cannot read the lock file ({e})") from None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise ThinksafeError(f"{path}: not a thinksafe lock file of version {VERSION}")
    for section in SECTIONS:
        for name, entry in (data.get(section) or {}).items():
            if not isinstance(entry, dict) or not is_commit(str(entry.get("commit", ""))) \
                    or not entry.get("hf_id") or not entry.get("revision"):  # fmt: skip
                raise ThinksafeError(f"{path}: {section}.{name}: needs hf_id, revision and a 40-hex commit")
    return data


def write(path: str | Path, lock: dict) -> None:
    header = "# Written by `thinksafe lock`; rerun it to move a pin. The DAG runs at these commits.\n"
    io.write_text(path, header + yaml.safe_dump(lock, sort_keys=False, width=120))


def apply(config: dict, lock: dict, where: str = "lock file") -> dict:
    """The config with every locked entry at its commit. A stale lock line stops with one line."""
    out = copy.deepcopy(config)
    for section, key in (("models", "hf_id"), ("judges", "model")):
        for name, pin in (lock.get(section) or {}).items():
            entry = out.get(section, {}).get(name)
            if entry is None:
                continue  # locked for another run of the same registry
            revision = entry.get("revision") or out.get("model_defaults", {}).get("revision") or "main"
            if is_commit(revision):
                continue  # pinned in the config itself
            if entry.get(key) != pin["hf_id"] or revision != pin["revision"]:
                raise ThinksafeError(
                    f"{where}: {section}.{name} was locked for {pin['hf_id']}@{pin['revision']}, the config "
                    f"asks for {entry.get(key)}@{revision}: rerun `thinksafe lock`"
                )
            entry["revision"] = pin["commit"]
            entry["revision_ref"] = revision
    return out


def unpinned(config: dict) -> list[str]:
    """`name@revision` of each hub entry of the run that is not at a commit."""
    return [
        f"{name}@{entry['revision']}"
        for section in hub_entries(config).values()
        for name, entry in section.items()
        if not is_commit(entry["revision"])
    ]


def load_locked(config: dict, root: str | Path = ".") -> dict:
    """Apply the config's lock file when it exists; warn once about what stays unpinned."""
    lock_file = config.get("lock")
    if lock_file and (Path(root) / lock_file).is_file():
        config = apply(config, read(Path(root) / lock_file), where=str(lock_file))
    loose = unpinned(config)
    if loose:
        shown = ", ".join(loose[:4]) + (f" and {len(loose) - 4} more" if len(loose) > 4 else "")
        sys.stderr.write(
            f"thinksafe: warning: {len(loose)} model(s) run on unpinned revisions ({shown}); two runs can "
            "load different weights. `thinksafe lock` pins them.\n"
        )
    return config
