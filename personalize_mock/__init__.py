"""personalize_mock: Amazon Personalize, offline, as a moto plugin.

Importing the package registers it with moto, so plain ``moto.mock_aws`` serves the
``personalize``, ``personalize-events`` and ``personalize-runtime`` APIs as well.
"""

from ._mock import MockPersonalize, mock_personalize
from ._registration import register

__version__ = "0.1.0"
__all__ = ["MockPersonalize", "__version__", "mock_personalize", "register"]

register()
