"""``wellclear serve``: the live deconfliction service between parties that share a sky.

:mod:`~wellclear.service.app` (the FastAPI application and its lifespan),
:mod:`~wellclear.service.live` (the engine's owner: ingest queue, tick, subscribers),
:mod:`~wellclear.service.disclosure` (what a party may see),
:mod:`~wellclear.service.bodies` (request bodies as reports), :mod:`~wellclear.service.deps`
(authentication).
"""
