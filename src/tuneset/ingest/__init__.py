"""Ingest: read every raw file into canonical records, quarantining what cannot be read.

``discover`` lists the files and their sources; ``ingest_file`` reads one file. A file is cut into
units by its container (JSONL line, JSON element, CSV row, Parquet row, transcript conversation),
each unit is mapped through its source's ``fields`` and parsed by the file's record shape, and
every unit ends either as a record or as a quarantine row naming the file, the place and the fix.
"""

from __future__ import annotations

from tuneset.ingest.discover import discover, relpath, source_info
from tuneset.ingest.reader import FileResult, ingest_file

__all__ = ["FileResult", "discover", "ingest_file", "relpath", "source_info"]
