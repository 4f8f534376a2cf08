"""archsearch: hardware-aware neural architecture search and benchmarking for mobile CNNs."""

__version__ = "0.1.0"
