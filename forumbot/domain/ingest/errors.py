"""The one exception ingest raises for bad input."""

from __future__ import annotations


class IngestError(Exception):
    """A document could not be ingested; str(error) is a one-line human reason."""
