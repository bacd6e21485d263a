"""The vismooc extensions to MOOCdb: the seven CSV tables, their load script and hashing."""
