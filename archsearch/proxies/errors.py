"""The proxy package's user errors, importable without torch (the CLI maps them to one-line messages)."""


class ProxyError(ValueError):
    """Bad proxy input (unknown name, unusable network, batch or budget); a user error."""


class UnknownProxyError(ProxyError, LookupError):
    """A proxy name that is not registered (the message lists the known ones)."""


class DatasetError(ValueError):
    """An unknown dataset spec or a missing, unreadable or malformed dataset (a user error)."""


class ScoreFailed(ArithmeticError):
    """A proxy produced NaN or inf: a failed score, never reported as a number."""
