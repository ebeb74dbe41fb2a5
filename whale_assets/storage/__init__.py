"""Where assets live: per-window numpy arrays on any fsspec path, and tables in DuckDB."""
