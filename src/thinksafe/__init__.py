"""thinksafe: safety evaluation and safety-CoT tuning of multimodal large reasoning models."""

__version__ = "0.1.0"
