"""The edX research data package format: pure decoders with no Django import."""
