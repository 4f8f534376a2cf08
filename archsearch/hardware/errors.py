"""User-facing errors of the hardware package (light: the CLI imports them at start-up)."""


class PredictorError(ValueError):
    """A predictor that cannot be built, fitted or read (the message says why)."""


class UncoveredError(PredictorError):
    """A config with a part the predictor has no term for (the message names the block)."""


class ProfileError(ValueError):
    """A malformed profile file (the message names the file and the key)."""


class DataError(ValueError):
    """Malformed calibration data: the message names the file, the line and the reason."""


class MeasureError(RuntimeError):
    """A runtime that is not available here (e.g. cuda without a GPU)."""


HARDWARE_ERRORS = (PredictorError, ProfileError, DataError, MeasureError)
