"""bench/results.py: a benchmark's section of bench/RESULTS.md is written or replaced, the others kept."""

from __future__ import annotations

from pathlib import Path

from bench.results import record_section, record_text


def test_a_section_is_written_again_at_the_end_and_the_others_are_kept(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text("# Risultati\n\n## A\n\nprima\n\n## B\n\nb\n", encoding="utf-8")
    record_text("## A\n\ndopo\n", results)
    assert results.read_text(encoding="utf-8") == "# Risultati\n\n## B\n\nb\n\n## A\n\ndopo\n"
    record_text("## C\n\nc", results)  # a new one goes at the end
    assert results.read_text(encoding="utf-8").endswith("## A\n\ndopo\n\n## C\n\nc\n")
    record_section("## B", "python -m bench.b", "testo", "obiettivo", results)
    text = results.read_text(encoding="utf-8")
    assert text.count("## B") == 1 and "\nb\n" not in text
    assert text.index("## A") < text.index("## C") < text.index("## B")
    assert "Generato da `python -m bench.b`" in text and "testo\n\nobiettivo" in text
