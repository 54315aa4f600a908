"""Tuning sets: the TiS import and rebuild, the baseline conversions, and the contamination guard.

Every set is written in LLaMA-Factory sharegpt layout (`conversations` with `from: human/gpt` and one
`<image>` token per image, `images`), with a `lineage` dict per record, to data/sft/<name>/.
"""
