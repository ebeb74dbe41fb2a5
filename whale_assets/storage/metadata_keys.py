"""The output-metadata keys that code reads back or that several assets share.

Fingerprints and reuse read `fingerprint`, `reused`, `incomplete`, `content_digest`; sensors and
tests read the counts below. Keys that only describe one asset's run (daily_scores' chunk
counts, the results preview, ...) stay beside the code that writes them.
"""

from __future__ import annotations

# The fingerprint of what a partition is computed from (also the key in the fingerprint files).
FINGERPRINT_KEY = "fingerprint"
# The asset found an identical stored partition: the IO manager writes nothing.
REUSED_KEY = "reused"
# The partition lacks data that may still appear (a day file not yet in the archive): it gets no
# fingerprint, so it is never reused and nothing downstream reuses what was built on it. The one
# channel for this is output metadata, set by the asset or by the IO manager while writing.
INCOMPLETE_KEY = "incomplete"
# Optional: a digest of the output itself, for assets whose inputs cannot predict it.
CONTENT_KEY = "content_digest"
# The fingerprint downstream partitions chain on (fingerprint plus content digest).
OUTPUT_KEY = "output_fingerprint"

# Window-array partitions: how many windows, how many per status, and their bytes.
WINDOWS_KEY = "windows"
STORED_BYTES_KEY = "stored_bytes"


def windows_with_status_key(status: str) -> str:
    """`windows_ok`, `windows_no_audio`, ...: a window-array partition's windows per status."""
    return f"windows_{status}"


def rows_with_status_key(status: str) -> str:
    """`status_ok`, `status_no_audio`, ...: a results partition's rows per status."""
    return f"status_{status}"


def encounter_rows_key(count: str) -> str:
    """`rows_kept`, `rows_dropped_...`: the encounters selection's row counts."""
    return f"rows_{count}"


# The encounters kept for the day (read by the sensor that watches for late Happywhale rows).
ROWS_KEPT_KEY = encounter_rows_key("kept")

# Export files that said nothing (empty, header only): listed, and counted, by the encounters
# asset; the `encounters_source_readable` check reads them back.
EXPORT_PROBLEMS_KEY = "export_problems"
EMPTY_EXPORTS_KEY = "empty_exports"
# Dagster's standard table keys (`TableMetadataSet`'s fields, which 1.13 does not export from
# `dagster`): the UI shows them as the row count and the column schema of each materialization.
PARTITION_ROW_COUNT_KEY = "dagster/partition_row_count"
ROW_COUNT_KEY = "dagster/row_count"  # an unpartitioned table (detector_performance)
COLUMN_SCHEMA_KEY = "dagster/column_schema"
# The stored table a partition went to, as SQL names it (`main.whale_results`), not a file path.
TABLE_NAME_KEY = "dagster/table_name"
# The classifier a partition was scored with: a setting, so not a definition-time tag.
CLASSIFIER_KEY = "classifier"
