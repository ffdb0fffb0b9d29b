"""Imports of the official data files: GIAS establishments, Ofsted inspection
outcomes and DfE performance tables. Plain Python, called by the management
commands and by the Celery task behind the admin's upload page."""

from __future__ import annotations

from .base import ImportFileError, ImportResult, ImportScope, RowError
from .gias import GiasImporter
from .ofsted import OfstedImporter
from .performance import PerformanceImporter

__all__ = [
    "GiasImporter",
    "ImportFileError",
    "ImportResult",
    "ImportScope",
    "OfstedImporter",
    "PerformanceImporter",
    "RowError",
]
