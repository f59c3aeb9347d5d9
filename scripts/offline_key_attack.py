"""What someone can recover from a stolen copy of the database and of the data directory,
without the key pepper: run it on such a copy.

    .venv/bin/python scripts/offline_key_attack.py DATABASE DATA_DIR [--pins N]

DATABASE is an SQLAlchemy URL, or the path of a copied SQLite file. For every official's
key the database holds it tries what an attacker would:

- a key under the PIN alone (a PKCS#12 issued before keys were sealed): every PIN of four to
  six digits, in that order, up to ``--pins`` of them;
- a sealed key (``signing.key_envelope``): the demo PIN (and with ``--sealed-pins``, the
  next PINs too), with every candidate pepper found in the data directory (the first 32
  bytes of every file of at least 32 bytes, outside the store of documents) and with none.
  Each try costs an Argon2id run of 64 MiB: this is where an attacker without the pepper
  has nothing to go on.

It prints each key recovered and exits 1 if there was any, 0 if none. With the pepper
present (a control), a sealed key under a PIN it tries comes out, which shows the attempt
is real.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text

from signing import key_envelope
from signing.errors import SigningError

DEMO_PIN = "123456"


def pins() -> Iterator[str]:
    yield DEMO_PIN
    for width in (4, 5, 6):
        for number in range(10**width):
            yield f"{number:0{width}d}"


def candidate_peppers(data_dir: Path) -> list[bytes]:
    found = {b"\x00" * 32}
    for path in data_dir.rglob("*"):
        if "objects" in path.relative_to(data_dir).parts[:1]:
            continue
        try:
            if path.is_file() and path.stat().st_size >= 32:
                with path.open("rb") as handle:
                    found.add(handle.read(32))
        except OSError:
            continue
    return sorted(found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("database")
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--pins", type=int, default=200)
    parser.add_argument("--sealed-pins", type=int, default=1)
    args = parser.parse_args()
    url = args.database if "://" in args.database else f"sqlite:///{Path(args.database)}"
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.id, c.user_id, c.pkcs12, c.key_envelope, u.username "
                "FROM signing_credentials c JOIN users u ON u.id = c.user_id"
            )
        ).all()
    engine.dispose()
    peppers = candidate_peppers(args.data_dir)
    print(f"{len(rows)} credentials; {len(peppers)} candidate peppers in {args.data_dir}")
    recovered = []
    for raw_id, raw_user, legacy, envelope, username in rows:
        credential_id, user_id = uuid.UUID(str(raw_id)), uuid.UUID(str(raw_user))
        if legacy is not None:
            for pin in itertools.islice(pins(), args.pins):
                try:
                    key_envelope.without_password(bytes(legacy), pin)
                except SigningError:
                    continue
                recovered.append((username, "PKCS#12 under the PIN alone", pin))
                break
        if envelope is not None:
            binding = f"docsvc-credential:{credential_id}:{user_id}".encode()
            done = False
            for pin in itertools.islice(pins(), args.sealed_pins):
                for pepper in peppers:
                    try:
                        key_envelope.open_envelope(bytes(envelope), pin, pepper, binding)
                    except SigningError:
                        continue
                    recovered.append((username, "sealed key", pin))
                    done = True
                    break
                if done:
                    break
    for username, what, pin in recovered:
        print(f"RECOVERED {username}: {what}, PIN {pin}")
    if not recovered:
        print("no key recovered")
    return 1 if recovered else 0


if __name__ == "__main__":
    sys.exit(main())
