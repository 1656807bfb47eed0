"""The report a safety board reads, for a scan directory or one incident of the service:
summary, maps, tables, curves (HTML, or PDF through headless Chromium)."""
