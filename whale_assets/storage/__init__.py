"""Where assets live (`layout`): window arrays on any fsspec path, tables in DuckDB or Parquet, and read access to both."""
