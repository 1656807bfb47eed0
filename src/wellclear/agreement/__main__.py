"""``python -m wellclear.agreement``: print the agreement's JSON Schema (or write it to a file).

``python -m wellclear.agreement src/wellclear/data/agreement.schema.json`` regenerates the
published schema; ``tests/test_agreement_schema.py`` fails when the file and the model differ.
"""

from __future__ import annotations

import sys
from pathlib import Path

from wellclear.agreement.model import json_schema


def main(argv: list[str]) -> int:
    text = json_schema()
    if argv:
        Path(argv[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
