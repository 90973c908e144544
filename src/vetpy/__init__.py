"""vetpy: tell whether a Python package is malicious before anyone installs it.

The package reads archives as data (never executing them), extracts static features and scores them
with a trained model. The public API is what this module re-exports.
"""

from vetpy.errors import VetpyError

__version__ = "0.1.0"

__all__ = ["VetpyError", "__version__"]
