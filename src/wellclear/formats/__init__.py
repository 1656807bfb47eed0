"""Readers and writers: one module per format, turning inputs into the states contract."""
