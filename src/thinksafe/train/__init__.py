"""Fine-tuning: PEFT LoRA (default) or full SFT through transformers' Trainer, resumable, with merge."""
