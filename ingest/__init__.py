"""Ingestion: load source files, parse their structure, chunk, embed, index, refresh."""
