"""govreport: China's government-information-disclosure annual reports as checked data."""
from __future__ import annotations

__version__ = "0.1.0"

from .extract import extract  # noqa: E402
from .types import InputError, Report  # noqa: E402

__all__ = ["extract", "InputError", "Report", "__version__"]
