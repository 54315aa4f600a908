"""A registry model's prompt recipe: how its authors ask it (system turn, user wrapper, image place,
generation prefix, stop strings, decoding) and where that comes from.

The recipe is data in the registry entry (`recipe:` in config.yaml, checked by config/schema.yaml); the
texts it names are verbatim in `recipe_prompts`. An entry without a recipe (the local demo models) keeps
the older keys: `system_prompt` (a literal) and `think_prefix` (ends the prompt with `<think>\\n`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from thinksafe.errors import ThinksafeError
from thinksafe.models import recipe_prompts
from thinksafe.models.reasoning import OPEN_TAGS

THINK_PREFIX = "<think>\n"


@dataclass(frozen=True)
class Recipe:
    system: str | None  # the system turn's text; None leaves the chat template's default
    user: str  # the user text, with one `{question}`
    user_name: str
    image: str  # "first" or "last": the image part before or after the text in the user turn
    prefix: str  # appended after the template's generation prompt (the model continues from it)
    stop: tuple[str, ...]  # output is cut at the first of these (kept out of `raw`)
    source: str | None  # the authors' inference code or model card; None: they give none
    note: str | None = None
    turns: tuple[str, ...] = ()  # a dialogue's follow-up user turns, asked after each answer
    tags: tuple[str, ...] = ()  # the stage tag each turn's answer is kept under in `raw`
    opened: bool = False  # the prefix ends inside the thought past its open tag (a defense's words)


def _where(spec: Mapping, key: str) -> str:
    return f"config key models.{spec.get('name', '?')}.recipe.{key}"


def _lookup(table: dict[str, str], name: str, spec: Mapping, key: str) -> str:
    if name not in table:
        raise ThinksafeError(f"{_where(spec, key)}: unknown prompt {name!r} (known: {', '.join(table)})")
    return table[name]


def recipe_of(spec: Mapping) -> Recipe:
    """The entry's recipe, its named texts resolved, then the spec's defense applied (a defended model
    `<model>@<defense>`: defenses/); an entry without a recipe gets the legacy keys' recipe."""
    recipe = _entry_recipe(spec)
    defense = spec.get("defense")
    if defense:
        from thinksafe.defenses import KINDS

        recipe = KINDS[defense["kind"]].apply(recipe, defense, spec)
    return recipe


def _entry_recipe(spec: Mapping) -> Recipe:
    data = spec.get("recipe")
    if data is None:
        return Recipe(
            system=spec.get("system_prompt") or None,
            user="{question}",
            user_name="plain",
            image="first",
            prefix=THINK_PREFIX if spec.get("think_prefix") else "",
            stop=(),
            source=None,
            note="no recipe in the registry entry",
        )
    for legacy in ("system_prompt", "think_prefix"):
        if spec.get(legacy):
            raise ThinksafeError(
                f"config key models.{spec.get('name', '?')}.{legacy}: set it in the entry's recipe instead "
                "(an entry with a recipe takes its prompt from the recipe only)"
            )
    system = data.get("system")
    user_name = data.get("user") or "plain"
    dialogue = data.get("dialogue")
    if dialogue and dialogue not in recipe_prompts.DIALOGUES:
        known = ", ".join(recipe_prompts.DIALOGUES)
        raise ThinksafeError(f"{_where(spec, 'dialogue')}: unknown dialogue {dialogue!r} (known: {known})")
    turns = recipe_prompts.DIALOGUES[dialogue] if dialogue else {"turns": (), "tags": ()}
    return Recipe(
        system=_lookup(recipe_prompts.SYSTEM, system, spec, "system") if system else None,
        user=_lookup(recipe_prompts.USER, user_name, spec, "user"),
        user_name=user_name,
        image=data.get("image", "first"),
        prefix=data.get("prefix") or "",
        stop=tuple(data.get("stop") or ()),
        source=data.get("source"),
        note=data.get("note"),
        turns=tuple(turns["turns"]),
        tags=tuple(turns["tags"]),
    )


def user_text(recipe: Recipe, prompt: str) -> str:
    """The benchmark prompt inside the recipe's wrapper (placed by replacement: prompts may hold braces)."""
    if recipe.user_name == "r1-vl" and recipe_prompts.R1_VL_QUESTION_PREFIX not in prompt:
        prompt = recipe_prompts.R1_VL_QUESTION_PREFIX + prompt
    return recipe.user.replace("{question}", prompt)


def opens_thought(spec: Mapping) -> bool:
    """Whether the prompt ends inside the thought: the prefix ends with the format's open tag."""
    tag = OPEN_TAGS.get(spec.get("reasoning", "none"))
    recipe = recipe_of(spec)
    return bool(tag) and (recipe.opened or recipe.prefix.rstrip().endswith(tag))


def cut_at_stop(raw: str, stop: tuple[str, ...]) -> tuple[str, bool]:
    """`raw` up to the first stop string (exclusive), and whether one was found."""
    hits = [i for i in (raw.find(s) for s in stop) if i >= 0]
    return (raw[: min(hits)], True) if hits else (raw, False)


def recommended_decoding(entry: Mapping) -> dict:
    """The authors' decoding, which the registry merges between model_defaults and the entry's own."""
    return dict((entry.get("recipe") or {}).get("decoding") or {})


def provenance(spec: Mapping) -> str:
    """One line for the report: whose recipe the model was asked with."""
    r = recipe_of(spec)
    if r.source:
        line = f"authors' recipe: {r.source}"
    elif spec.get("recipe") is not None:
        line = "the authors give no recipe: chat template defaults"
    else:
        line = "no recipe in the registry entry"
    return f"{line} ({r.note})" if r.note and spec.get("recipe") is not None else line
