"""The live engine partitioned over space: Earth-centred cells, each owned by one worker.

- :mod:`wellclear.cluster.cells`: the cells, the halo a report is published to, the owner rule
  of a pair (with the proof that every pair is reported once), cells assigned to workers;
- :mod:`wellclear.cluster.reach`: the distance within which the engine can report a pair;
- :mod:`wellclear.cluster.publish`: the router of reports to shards (the front's side);
- :mod:`wellclear.cluster.worker`: a worker, the engine over its shards' reports;
- :mod:`wellclear.cluster.state`: the per-pair alert state with compare-and-set;
- :mod:`wellclear.cluster.log`, :mod:`wellclear.cluster.jslog`: the log on NATS JetStream
  (streams, messages, the front's publisher, reading back);
- :mod:`wellclear.cluster.jsworker`: a worker fed from the log, its state in a bucket;
- :mod:`wellclear.cluster.auth`: per-party subject permissions at the broker.

Nothing is imported here; see ``docs/cluster.md``.
"""
