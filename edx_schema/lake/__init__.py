"""The Parquet lake: the database's tables as Hive-partitioned Parquet files with a manifest,
for the distributed engines a team moves to past one database server (Spark, Trino, BigQuery,
ClickHouse, DuckDB). Needs the ``[lake]`` extra (pyarrow).

- :mod:`.schema`: each model's Arrow schema and partitioning, derived from the model;
- :mod:`.export`: ``export_lake``, from the database, incremental by the import records;
- :mod:`.job` (and ``python -m edx_schema.lake``): the Spark job, from packages, without a
  database (the ``[spark]`` extra); :mod:`.convert` is what its tasks run, :mod:`.tasks` what
  they are given.
"""
