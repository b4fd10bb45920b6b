"""Validate captured DMS traffic: readers, cross-message checks, reports, a recorder.

``validate_files(["session.jsonl"]) -> Report``; ``Recorder("session.jsonl")``
writes our JSON Lines format; ``dmsproto.capture.cli`` hosts ``dmsproto validate``.
"""

from __future__ import annotations

from ..recorder import Recorder
from .model import BadRecord, CaptureError, Message, TsharkMissing
from .readers import detect_format, read_capture
from .report import Example, Report
from .runner import validate_files, validate_records

__all__ = ["BadRecord", "CaptureError", "Example", "Message", "Recorder", "Report",
           "TsharkMissing", "detect_format", "read_capture", "validate_files",
           "validate_records"]
