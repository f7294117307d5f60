"""The naive baseline of the fan-out benchmark: the tutorial design, kept apart from the product."""
