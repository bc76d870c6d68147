"""Column names and Arrow types of the canonical record and the dropped table (DESIGN.md).

Every stage reads and writes these names through this module, so a rename happens in one place.
"""

from __future__ import annotations

import pyarrow as pa

ORIGIN_ID = "origin_id"
EXAMPLE_ID = "example_id"
KIND = "kind"
MESSAGES = "messages"
CHOSEN = "chosen"
REJECTED = "rejected"
TOOLS = "tools"
SOURCE = "source"
SOURCE_FILE = "source_file"
LOCATOR = "locator"
LICENSE = "license"
ORIGIN = "origin"
GROUP_ID = "group_id"
LABELS = "labels"
META = "meta"
CLUSTER_ID = "cluster_id"
SPLIT = "split"
N_TOKENS = "n_tokens"
# Columns later stages add to the canonical record.
N_TRAINED_TOKENS = "n_trained_tokens"
PII_EDITS = "pii_edits"
STAGE_COLUMNS = (N_TRAINED_TOKENS, PII_EDITS, CLUSTER_ID, SPLIT, N_TOKENS)

KINDS = ("sft", "preference")
ROLES = ("system", "user", "assistant", "tool")
ORIGINS = ("production", "expert", "synthetic", "public", "unknown")
SPLITS = ("train", "val", "test")

RECORD_COLUMNS = (
    ORIGIN_ID, EXAMPLE_ID, KIND, MESSAGES, CHOSEN, REJECTED, TOOLS,
    SOURCE, SOURCE_FILE, LOCATOR, LICENSE, ORIGIN, GROUP_ID, LABELS, META,
)

# Dropped-table columns (DESIGN.md "A dropped table always has these columns").
STAGE = "stage"
RULE = "rule"
RULE_FINGERPRINT = "rule_fingerprint"
REASON = "reason"
DUPLICATE_OF = "duplicate_of"
DETAILS = "details"
PREVIEW = "preview"

DROPPED_COLUMNS = (
    ORIGIN_ID, EXAMPLE_ID, KIND, SOURCE, SOURCE_FILE, LOCATOR, ORIGIN, GROUP_ID,
    STAGE, RULE, RULE_FINGERPRINT, REASON, DUPLICATE_OF, DETAILS, PREVIEW,
)

MANIFEST_COLUMNS = (
    EXAMPLE_ID, ORIGIN_ID, KIND, SPLIT, GROUP_ID, CLUSTER_ID, SOURCE, SOURCE_FILE,
    LOCATOR, ORIGIN, LICENSE, N_TOKENS,
)

# tool_calls is canonical JSON text: its arguments are free-form, so a fixed struct cannot hold them.
MESSAGE_TYPE = pa.struct([
    ("role", pa.string()),
    ("content", pa.string()),
    ("name", pa.string()),
    ("tool_calls", pa.string()),
    ("tool_call_id", pa.string()),
])
MESSAGE_FIELDS = tuple(f.name for f in MESSAGE_TYPE)
MESSAGES_TYPE = pa.list_(MESSAGE_TYPE)

RECORD_TYPES: dict[str, pa.DataType] = {
    ORIGIN_ID: pa.string(),
    EXAMPLE_ID: pa.string(),
    KIND: pa.string(),
    MESSAGES: MESSAGES_TYPE,
    CHOSEN: MESSAGES_TYPE,
    REJECTED: MESSAGES_TYPE,
    TOOLS: pa.string(),
    SOURCE: pa.string(),
    SOURCE_FILE: pa.string(),
    LOCATOR: pa.string(),
    LICENSE: pa.string(),
    ORIGIN: pa.string(),
    GROUP_ID: pa.string(),
    LABELS: pa.map_(pa.string(), pa.string()),
    META: pa.string(),
    CLUSTER_ID: pa.string(),
    SPLIT: pa.string(),
    N_TOKENS: pa.int64(),
}

DROPPED_TYPES: dict[str, pa.DataType] = {c: pa.string() for c in DROPPED_COLUMNS}
