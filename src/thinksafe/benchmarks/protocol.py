"""A benchmark's judging protocol, declared as data in the benchmark's own module and carried on its items.

Each benchmark module declares a `Protocol`: what decides `safe` for an item (its expectation, by cases
on the item's fields, e.g. MM-SafetyBench scenario 08), which verbatim prompts an LLM judge fills and how
it reads the replies, what the benchmark's own judge is (`own`), and where upstream scores it. Normalize
writes `Protocol.resolve(item)` into every item's `protocol` field; judges read only that dict (through
`of`) and the prompt texts it names (through `prompt`), so no judge knows a benchmark by name.

Verbatim prompt texts live beside their benchmark, in `<benchmark>_prompts.py` modules, each a `PROMPTS`
dict of `Prompt(text, source)`; `prompts()` gathers them all (the LLM judge fingerprint hashes them).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

from thinksafe.errors import ThinksafeError

# What decides `safe` (judges/rule.py reads them):
# refuse: only declining is safe; disclaim: it must disclaim expertise and urge caution; harm: safe unless
# it gives harmful content; aware: safe if it refuses or points out the risk; answer: safe if it answers.
EXPECTATIONS = ("refuse", "disclaim", "harm", "aware", "answer")
# How a judge reply is read (judges/llm_protocols.py implements each, knowing no benchmark).
PARSERS = ("safe_unsafe", "true_false", "effectiveness", "answer_class", "refusal_score")
# The benchmark's own judge. `human`: reviewed by hand; `project`: a set this project defines itself.
OWN = ("llm", "classifier:llama-guard", "classifier:harmbench", "string-match", "human", "project")


@dataclass(frozen=True)
class Prompt:
    text: str
    source: str  # "owner/repo@commit path" the text is copied from, byte for byte


@dataclass(frozen=True)
class Call:
    """One LLM-judge call: a verbatim prompt filled from the item and the response, and its reply parser."""

    prompt: str  # key of a Prompt
    fill: tuple[tuple[str, str], ...]  # (placeholder, what fills it), applied in this order
    parse: str  # one of PARSERS
    image: bool = False  # upstream shows the judge the item's image
    role: str = "label"  # label | effective (SIUO's second judgment)
    style: str = "format"  # format: str.format on the template; replace: str.replace in fill order
    pattern: str | None = None  # key of a Prompt holding the regex the parser uses


@dataclass(frozen=True)
class LLMJudging:
    """How an LLM judge scores a case, and whether that is the benchmark's own protocol or a stand-in."""

    calls: tuple[Call, ...]
    name: str  # what it is, e.g. "MM-SafetyBench GPT-4 judge" or the stand-in's name
    stand_in: bool = False
    classes: dict[str, Any] = field(default_factory=dict)  # parser parameters (answer_class)


@dataclass(frozen=True)
class Case:
    """Items matching `when` (item field -> accepted values; `reference.x` reads the reference)."""

    expectation: str
    llm: LLMJudging | None = None  # None: scored by string match, no judge call
    when: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class Protocol:
    name: str
    title: str
    upstream: str  # where the benchmark's own scoring lives: "owner/repo@commit path" (or a note)
    own: str  # one of OWN
    cases: tuple[Case, ...]  # first match wins; the last one has no `when`
    empty_is_safe: bool = False  # upstream counts an empty response as safe
    samples: int = 1  # responses sampled per question; their labels are combined by majority
    note: str = ""

    def __post_init__(self) -> None:
        if self.own not in OWN:
            raise ThinksafeError(f"protocol {self.name}: own '{self.own}' is not one of {OWN}")
        if not self.cases or self.cases[-1].when:
            raise ThinksafeError(f"protocol {self.name}: the last case must match every item")
        for case in self.cases:
            if case.expectation not in EXPECTATIONS:
                raise ThinksafeError(f"protocol {self.name}: unknown expectation '{case.expectation}'")
            for call in case.llm.calls if case.llm else ():
                if call.parse not in PARSERS:
                    raise ThinksafeError(f"protocol {self.name}: unknown parser '{call.parse}'")

    def case(self, item: dict) -> Case:
        for case in self.cases:
            if all(str(field_of(item, f)) in values for f, values in case.when):
                return case
        raise AssertionError("unreachable: the last case matches every item")

    def resolve(self, item: dict, **extra: Any) -> dict:
        """The protocol as it applies to one item: the dict normalize writes into `item["protocol"]`."""
        case = self.case(item)
        llm = None
        if case.llm is not None:
            llm = {
                "name": case.llm.name,
                "stand_in": case.llm.stand_in,
                "source": "; ".join(dict.fromkeys(prompt(c.prompt).source for c in case.llm.calls)),
                "calls": [{**asdict(c), "fill": [list(pair) for pair in c.fill]} for c in case.llm.calls],
                "classes": dict(case.llm.classes),
            }
        out = {
            "name": self.name,
            "title": self.title,
            "upstream": self.upstream,
            "own": self.own,
            "expectation": case.expectation,
            "llm": llm,
            "empty_is_safe": self.empty_is_safe,
        }
        out.update(extra)
        return out


def field_of(item: dict, path: str) -> Any:
    if path.startswith("reference."):
        return (item.get("reference") or {}).get(path.split(".", 1)[1])
    return item.get(path)


def fill(call: dict, item: dict, response: str) -> str:
    """The prompt text of one call, filled as upstream fills it."""
    values = {}
    for placeholder, what in call["fill"]:
        if what == "response":
            values[placeholder] = response
        elif what == "request":  # the plain request: reference.goal / reference.question / the prompt
            ref = item.get("reference") or {}
            values[placeholder] = str(ref.get("goal") or ref.get("question") or item.get("prompt") or "")
        else:
            values[placeholder] = str(field_of(item, what) or "")
    text = prompt(call["prompt"]).text
    if call["style"] == "replace":
        for placeholder, value in values.items():
            text = text.replace("{" + placeholder + "}", value)
        return text
    return text.format(**values)


# --- the registries: every Protocol and Prompt declared in thinksafe.benchmarks -----------------------
def _modules(suffix: str = ""):
    import thinksafe.benchmarks as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name.endswith(suffix):
            yield importlib.import_module(f"{package.__name__}.{info.name}")


@cache
def prompts() -> dict[str, Prompt]:
    """Every verbatim prompt, from the `*_prompts` modules only (they import nothing heavy)."""
    out: dict[str, Prompt] = {}
    for module in _modules("_prompts"):
        for key, value in (getattr(module, "PROMPTS", None) or {}).items():
            if isinstance(value, Prompt):
                if key in out and out[key] != value:
                    raise ThinksafeError(f"prompt key '{key}' is declared twice ({module.__name__})")
                out[key] = value
    return out


def prompt(key: str) -> Prompt:
    found = prompts().get(key)
    if found is None:
        raise ThinksafeError(f"no prompt '{key}' is declared in thinksafe.benchmarks (a *_prompts.py module)")
    return found


@cache
def protocols() -> dict[str, Protocol]:
    out: dict[str, Protocol] = {}
    for module in _modules():
        for value in vars(module).values():
            if isinstance(value, Protocol):
                out[value.name] = value
    return out


def of(item: dict) -> dict:
    """The protocol an item carries; an item written before items carried it is resolved from its
    `reference.protocol` name."""
    carried = item.get("protocol")
    if carried:  # the fast path: the judges call this for every text
        return carried
    name = (item.get("reference") or {}).get("protocol")
    if not name:
        raise ThinksafeError(f"item {item.get('id')}: it carries no protocol (normalize it again)")
    declared = protocols().get(name)
    if declared is None:
        known = ", ".join(sorted(protocols()))
        raise ThinksafeError(f"item {item.get('id')}: unknown reference.protocol '{name}' (known: {known})")
    # Kept on the item, as normalize would have written it: the next judge call reads it directly.
    item["protocol"] = declared.resolve(item)
    return item["protocol"]


def stamp(items: list, protocol: Protocol) -> list:
    """Write each item's resolved protocol into it (normalize's last step)."""
    for item in items:
        item.protocol = protocol.resolve(vars(item))
    return items
