"""Token and cost ledger of one judge job: the API client's counters (models.api_client.Usage) plus cache
hits and the price; logged at the end and written as a sidecar of the output."""

from __future__ import annotations

from dataclasses import dataclass

from thinksafe.models.api_client import Usage

# USD per 1M tokens (input, output) of known judge models; a spec sets `price_per_1k_tokens: {input, output}`.
PRICES = {"gpt-4o-2024-08-06": (2.50, 10.00), "gpt-4o": (2.50, 10.00), "gpt-4o-mini": (0.15, 0.60)}


@dataclass
class Ledger(Usage):
    model: str = ""
    price_per_1m: tuple[float, float] | None = None
    cache_hits: int = 0

    def __post_init__(self) -> None:
        if self.price_per_1m is None:
            self.price_per_1m = PRICES.get(self.model)

    @property
    def cost_usd(self) -> float | None:
        if self.price_per_1m is None:
            return None
        p_in, p_out = self.price_per_1m
        return round((self.prompt_tokens * p_in + self.completion_tokens * p_out) / 1e6, 6)

    def to_dict(self) -> dict:
        d = self.counts()
        d["price_per_1m"] = list(self.price_per_1m) if self.price_per_1m else None
        d["cost_usd"] = self.cost_usd
        return d

    def line(self) -> str:
        cost = "unknown" if self.cost_usd is None else f"${self.cost_usd:.4f}"
        return (
            f"model={self.model} requests={self.requests} retries={self.retries} failed={self.failed} "
            f"cache_hits={self.cache_hits} prompt_tokens={self.prompt_tokens} "
            f"completion_tokens={self.completion_tokens} cost={cost}"
        )
