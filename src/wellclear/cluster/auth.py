"""Per-party subject permissions at the broker: the ``authorization`` block of a nats-server
configuration that lets each party's user subscribe to its own alerts only.

The service (:mod:`wellclear.service`) gives a party only what concerns its own aircraft; the
cluster publishes each alert event under the ownship's party (``wc.alerts.<party>.<pair>``,
:func:`wellclear.cluster.log.event_message`), so the broker can enforce the same minimisation:
a party's user may subscribe to ``wc.alerts.<party>.>`` and publish nothing; the service's
user (the front and the workers) may do everything. A party's user cannot read the reports,
the alert state or another party's alerts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from wellclear.cluster.log import ALERTS, token


def party_subjects(party: str) -> list[str]:
    """What a party's user may subscribe to."""
    return [f"{ALERTS}.{token(party, 'party')}.>"]


def authorization_block(service: tuple[str, str], parties: Mapping[str, str]) -> str:
    """The ``authorization`` block (nats-server configuration) for the service's user
    ``(name, password)`` and one user per party (``{party: password}``, user name = party)."""
    users: list[dict[str, object]] = [{"user": service[0], "password": service[1]}]
    for party, password in sorted(parties.items()):
        if party == service[0]:
            raise ValueError(f"party {party!r}: the service's user has that name")
        users.append(
            {
                "user": token(party, "party"),
                "password": password,
                "permissions": {
                    "publish": {"deny": [">"]},
                    "subscribe": {"allow": party_subjects(party)},
                },
            }
        )
    # JSON is a subset of the server's configuration syntax
    return f"authorization {{ users: {json.dumps(users)} }}"
