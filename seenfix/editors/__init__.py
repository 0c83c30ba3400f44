"""Format-aware, round-trip-safe editing: find positions with a parser, change only those bytes."""
