"""Settings of the edx-schema project (``local`` by default, ``production`` to deploy)."""
