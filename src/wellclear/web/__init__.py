"""The browser page of ``wellclear serve``: built assets in ``static/`` (sources in ``web/``)."""
