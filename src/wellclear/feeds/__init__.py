"""Live feeds: network transports onto the decoders of :mod:`wellclear.formats`.

:mod:`.framing` cuts a byte stream into messages (SBS and raw lines, Beast frames),
:mod:`.merge` keeps each aircraft's recent messages so that a batch decodes as the whole stream
would, :mod:`.tcp` connects with reconnect, exponential backoff and jitter, :mod:`.sender` posts
batches to ``wellclear serve`` until each is acknowledged (each with its client batch id), and
:mod:`.pipeline` ties them together with the counters ``wellclear feed`` prints.
"""
