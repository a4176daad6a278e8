"""The gallery in screens/ is what `areaclienti-tui screenshots screens` draws now.

When a screen changes on purpose, regenerate the gallery and commit it with the
code: `areaclienti-tui screenshots screens` (about a minute).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from areaclienti_tui import gallery

SCREENS = Path(__file__).resolve().parents[1] / "screens"
GUIDE_STEPS = [f"{number}A" for number in range(1, 12)] + [f"{number}B" for number in range(1, 8)]
REGENERATE = "rigenera la galleria con `areaclienti-tui screenshots screens` e fanne il commit"
ROW = re.compile(r"^\| (\d+) \| ([^|]+?) \| .*\[([^\]]+\.svg)\]\(([^)]+)\) \|$")


def gallery_files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.suffix in (".svg", ".md")}


@pytest.mark.long(20)
def test_screens_folder_is_up_to_date(tmp_path: Path) -> None:
    gallery.write_gallery(tmp_path / "galleria")
    fresh = gallery_files(tmp_path / "galleria")
    committed = gallery_files(SCREENS) if SCREENS.is_dir() else {}

    missing = sorted(fresh.keys() - committed.keys())
    extra = sorted(committed.keys() - fresh.keys())
    changed = sorted(name for name in fresh.keys() & committed.keys() if fresh[name] != committed[name])
    problems = []
    if missing:
        problems.append(f"mancano in screens/: {', '.join(missing)}")
    if extra:
        problems.append(f"in screens/ ma non più generati: {', '.join(extra)}")
    if changed:
        problems.append(f"diversi da quelli generati ora: {', '.join(changed)}")
    assert not problems, "La galleria in screens/ non è aggiornata (" + "; ".join(problems) + f"): {REGENERATE}."


def test_index_lists_every_guide_step_with_its_picture() -> None:
    index = SCREENS / gallery.INDEX
    assert index.is_file(), f"manca {index}: {REGENERATE}."
    rows = [match for line in index.read_text(encoding="utf-8").splitlines() if (match := ROW.match(line))]
    assert rows, f"{index} non ha la tabella delle schermate"

    steps = {match.group(2).strip() for match in rows}
    missing = [step for step in GUIDE_STEPS if step not in steps]
    assert not missing, f"l'indice non elenca i passi {', '.join(missing)}"

    for number, (match, expected) in enumerate(zip(rows, range(1, len(rows) + 1)), start=1):
        assert int(match.group(1)) == expected, f"riga {number}: numero {match.group(1)}"
        name, link = match.group(3), match.group(4)
        assert name == link and name.startswith(f"{expected:02d}-"), f"riga {number}: collegamento {link}"
        assert (SCREENS / name).is_file(), f"l'indice collega {name}, che non c'è in screens/"
    assert len(list(SCREENS.glob("*.svg"))) == len(rows), "screens/ ha SVG che l'indice non elenca"
