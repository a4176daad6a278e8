"""Issue 12: the real program in a pseudo-terminal, keys typed ahead before anything is drawn.

`areaclienti-tui` draws 1A at once and loads the rest behind it (here a new database too:
migrated and filled with the demo). What is typed meanwhile waits and then goes, in order,
where a person expects: Registrati, Persona, then 3A's fields.
"""

from __future__ import annotations

from pathlib import Path

from tests.pty_harness import needs_program, running_program
from tests.test_pty_keys import check_3a


@needs_program
def test_keys_typed_before_the_console_is_drawn_reach_3a_in_order(tmp_path: Path) -> None:
    with running_program(tmp_path) as term:
        # At once, before the program has drawn anything (its terminal still in line mode:
        # each Enter reaches it as a newline), while it loads: Registrati, Persona, 3A's fields.
        term.child.send("\r\rMario\tRossi\t14/03/1975")
        term.wait_for(lambda t: "Passo 3A" in t and "Cognome" in t, "3A")
        check_3a(term)
        assert (tmp_path / "x.db").exists()  # the new database was made behind 1A


@needs_program
def test_a_foreign_database_closes_the_console_with_the_italian_message(tmp_path: Path) -> None:
    import sqlite3
    from contextlib import closing

    import pexpect

    with closing(sqlite3.connect(tmp_path / "x.db")) as connection, connection:
        connection.execute("CREATE TABLE fatture (numero TEXT PRIMARY KEY)")
    with running_program(tmp_path, columns=200) as term:
        term.child.send("\r")  # typed ahead: it waits, then the console closes
        term.child.expect(pexpect.EOF, timeout=60)
        said = term.child.before.decode("utf-8", errors="replace")
        term.child.wait()
        assert term.child.exitstatus == 2, said
        assert "non è un database di Area Clienti" in said and "Traceback" not in said, said
