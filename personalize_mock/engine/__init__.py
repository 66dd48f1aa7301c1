"""Pure computation: columnar data tables, CSV parsing, training, scoring, metrics, filters.

Nothing here imports moto or boto: the package can be tested and benchmarked on its own.
numpy is imported at module level here; pyarrow and scikit-learn only where they are used.
"""
