"""Fan-out benchmark: load generator, naive baseline and floor (not part of the product)."""
