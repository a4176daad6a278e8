"""Write a customer CSV of N valid rows (SPEC §5 format), streamed to disk.

    python bench/make_customers.py 1000000 /tmp/clienti-1m.csv

Codici fiscali are unique and valid (check character, birth date and sex match
the row, real birthplace codes); contacts and policies vary row by row.
"""

from __future__ import annotations

import csv
import datetime
import string
import sys
from pathlib import Path

from codicefiscale import codicefiscale

HEADER = ["codice_fiscale", "nome", "cognome", "sesso", "data_nascita", "luogo_nascita", "email", "cellulare",
          "polizze", "inarcassa"]
MONTHS = "ABCDEHLMPRST"
PLACES = [("H501", "Roma"), ("F205", "Milano"), ("F839", "Napoli"), ("L219", "Torino"), ("A944", "Bologna"),
          ("D612", "Firenze"), ("G273", "Palermo"), ("L736", "Venezia")]
FIRST = ["Marco", "Giulia", "Luca", "Sara", "Paolo", "Elena", "Andrea", "Chiara", "Davide", "Marta"]
LAST = ["Rossi", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti"]
LETTERS = string.ascii_uppercase


def row(i: int) -> list[str]:
    # Six letters from i make the code unique; date, sex and place vary with i too.
    letters = "".join(LETTERS[(i // 26**k) % 26] for k in range(6))
    born = datetime.date(1950, 1, 1) + datetime.timedelta(days=i % 18000)
    female = i % 2 == 1
    code_place, place = PLACES[i % len(PLACES)]
    body = f"{letters}{born.year % 100:02d}{MONTHS[born.month - 1]}{born.day + (40 if female else 0):02d}{code_place}"
    code = body + codicefiscale.encode_cin(body)
    first, last = FIRST[i % len(FIRST)], LAST[(i // 10) % len(LAST)]
    policies = f"INA-{i:08d}:Polizza sanitaria INARCASSA" + (f";GEN-{i:08d}:Valore Casa:scaduta" if i % 3 == 0 else "")
    return [
        code, first, last, "F" if female else "M", born.isoformat(), place,
        f"cliente{i}@esempio.it", f"3{(40 + i % 60):02d}{i % 10_000_000:07d}", policies, str(i % 2),
    ]


def write(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(count):
            writer.writerow(row(i))


if __name__ == "__main__":
    write(Path(sys.argv[2]), int(sys.argv[1]))
