"""seenfix: automated, round-trip-safe production-readiness fixes for SEEN-style repositories."""

from __future__ import annotations

__version__ = "0.1.0"
