"""Validate captured DMS traffic: readers, cross-message checks, reports.

``validate_files(["session.jsonl"]) -> Report``; ``dmsproto.capture.cli`` hosts
``dmsproto validate``.  The writer of our JSON Lines format lives apart, in
:mod:`dmsproto.recorder` (the client imports it on every connection); it is also
reachable here as ``Recorder``.
"""

from __future__ import annotations

from ..recorder import Recorder
from .model import BadRecord, CaptureError, Message, Note, SessionStart, TsharkMissing
from .readers import detect_format, read_capture
from .report import Example, Report
from .runner import validate_files, validate_records

__all__ = ["BadRecord", "CaptureError", "Example", "Message", "Note", "Recorder", "Report",
           "SessionStart", "TsharkMissing", "detect_format", "read_capture", "validate_files",
           "validate_records"]
