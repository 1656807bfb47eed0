"""The settings of one service process."""

from __future__ import annotations

from dataclasses import dataclass

from wellclear.agreement import Agreement


@dataclass(frozen=True)
class ServiceConfig:
    """``db``: the store URL; ``agreement``: the procedures in force; ``tick_s``: the period of
    the engine's step; ``retain_s``: how long the store keeps reports (batches wholly older
    are deleted once a checkpoint holds them; alert events and incidents are the record and
    stay); ``max_body``:
    the largest request body (bytes; larger ones get 413); ``queue``: events a subscriber may
    fall behind before it is disconnected; ``checkpoint_every``: ticks between engine
    checkpoints when nothing happens (a tick with events is always checkpointed with them);
    ``cluster``: the NATS servers of a cluster whose workers compute the alerts (the service is
    then their front, :mod:`wellclear.service.cluster_front`; None: its own engine does)."""

    db: str
    agreement: Agreement
    tick_s: float = 1.0
    retain_s: float = 24 * 3600.0
    max_body: int = 16 << 20
    queue: int = 10_000
    checkpoint_every: int = 10
    run_ticks: bool = True
    clock: str = "wall"
    cluster: str | None = None
