"""One error hierarchy; every message is meant for the user and fits on one line."""


class VetpyError(Exception):
    """Base class: a problem vetpy reports to the user (caught once, at the interface edge)."""


class AcquireError(VetpyError):
    """An archive or target could not be read (corrupt, unsupported, not found)."""


class LimitExceeded(AcquireError):
    """Reading an archive went past a configured limit (size, members, ratio, time)."""


class IndexLookupError(AcquireError):
    """The package index could not give the requested release."""


class ModelError(VetpyError):
    """A model file is missing, unsafe, or does not match this version's feature schema."""
