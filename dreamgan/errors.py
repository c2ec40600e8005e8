"""User-facing errors.

Every error a user can cause (bad image, unknown layer, missing weights, unwritable
directory) is a `DreamganError`. The CLI prints its message as one line and exits non-zero;
anything else is a bug and keeps its traceback.
"""


class DreamganError(Exception):
    """An error caused by input or environment, with a message that says what to do."""


def require(checks, prefix: str = "") -> None:
    """Raise a `DreamganError` with the message of the first (ok, message) pair that is not ok:
    how every config checks its values when it is made."""
    for ok, message in checks:
        if not ok:
            raise DreamganError(prefix + message)


class ImageError(DreamganError):
    """An image file that cannot be read, or is too small or too large to dream."""


class BackboneError(DreamganError):
    """An unknown backbone, layer or class, or weights that do not fit."""


class WeightsNotFoundError(BackboneError):
    """Weights are not on this machine; the message says where to put them."""
