"""The Parquet lake: the database's tables as Hive-partitioned Parquet files with a manifest,
for the distributed engines a team moves to past one database server (Spark, Trino, BigQuery,
ClickHouse, DuckDB). Needs the ``[lake]`` extra (pyarrow).

- :mod:`.schema`: each model's Arrow schema and partitioning, derived from the model;
- :mod:`.export`: ``export_lake``, from the database, incremental by the import records.
"""
