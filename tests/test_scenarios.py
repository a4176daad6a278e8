"""The scenario runner (SPEC §5): every file in scenarios/ passes; broken ones
fail with a message that names file, step, verb, expected and seen; invalid
files are refused before anything runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from areaclienti_tui import cli, scenario
from areaclienti_tui.scenario import ScenarioError, Step

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
BROKEN = Path(__file__).resolve().parent / "data" / "scenari-rotti"
FILES = sorted(SCENARIOS.glob("*.toml"))


def test_there_is_a_scenario_per_branch_of_the_guide():
    names = [path.name for path in FILES]
    assert len(names) >= 16, names
    for path in FILES:
        loaded = scenario.load(path)
        assert loaded.description, f"{path.name} has no description"
        # clienti.csv, or the demo personas (and the demo operator) when the file names none
        assert loaded.customers in (SCENARIOS / "clienti.csv", None)


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_scenario_passes(path: Path, scenario_runs):
    """One run per file and session, shared with tests/test_scenario_coverage.py."""
    run = scenario_runs(path)
    lines = run.lines
    assert run.passed, run.report
    assert lines[0].startswith(f"Scenario {path}")
    assert lines[-1].startswith("  → superato:")
    assert not any("✘" in line for line in lines), run.report


# --- failures ------------------------------------------------------------------


@pytest.mark.long(9)
def test_broken_scenarios_fail_with_file_step_verb_expected_seen_and_errors():
    """Two broken files in one run: each stops at its failing step, the run goes on."""
    wrong_date = BROKEN / "data-inesistente.toml"
    not_recognised = BROKEN / "atteso-6a-visto-1b.toml"
    lines: list[str] = []
    code = scenario.main([wrong_date, not_recognised], out=lines.append, timeout=3)
    output = "\n".join(lines)
    assert code == scenario.EXIT_FAILED, output

    first = "atteso 4A, visto 3A; errori: data-nascita: La data 31/02/1984 non esiste"
    assert f"Scenario {wrong_date} — Scenario rotto: 3A con una data che non esiste" in lines
    assert "  ✔ 8 click #continua" in lines
    assert f"  ✘ 9 expect_step 4A — {first}" in lines
    assert '  · 10 type #username "chiara.bellini@gmail.com" (saltato)' in lines
    assert "  → fallito al passo 9" in output

    second = "atteso 6A, visto 1B; errori: nessuno"
    assert f"  ✘ 16 expect_step 6A — {second}" in lines
    assert "  · 17 otp #otp (saltato)" in lines
    assert "  · 18 click #continua (saltato)" in lines

    # The summary repeats each failure with its file, then counts.
    tail = lines[lines.index("Non superati:"):]
    assert tail == [
        "Non superati:",
        f"  {wrong_date}: passo 9 expect_step 4A — {first}",
        f"  {not_recognised}: passo 16 expect_step 6A — {second}",
        "2 file: 0 superati, 2 falliti",
    ]
    assert "Traceback" not in output


def test_invalid_file_exits_2_and_the_others_still_run():
    invalid = BROKEN / "verbo-sconosciuto.toml"
    good = SCENARIOS / "04-azienda.toml"
    lines: list[str] = []
    code = scenario.main([invalid, good], out=lines.append)
    assert code == scenario.EXIT_INVALID
    message = (
        f"{invalid}: passo 2: verbo sconosciuto «clik» (verbi ammessi: type, click, press, choose, attach, "
        "otp, expect_step, expect_text, expect_outbox, expect_error, advance, other_console)"
    )
    assert lines[:2] == [f"Scenario {invalid}", f"  ✘ file non valido: {message}"]
    assert any(line.startswith("  → superato:") for line in lines), lines
    assert lines[-2:] == [f"  {message}", "2 file: 1 superato, 0 falliti, 1 non valido"]


def test_an_unexpected_error_shows_6b_and_fails_its_step(tmp_path, monkeypatch):
    from areaclienti_tui.app import AreaClientiApp

    def broken(self) -> None:  # noqa: ANN001
        raise RuntimeError("guasto di prova")

    monkeypatch.setattr(AreaClientiApp, "start_registration", broken)
    path = tmp_path / "guasto.toml"
    path.write_text('[[step]]\nclick = "#registrati"\n\n[[step]]\nexpect_step = "2A"\n', encoding="utf-8")
    lines: list[str] = []
    assert scenario.main([path], out=lines.append, timeout=3) == scenario.EXIT_FAILED
    assert lines[1:3] == [
        (
            "  ✘ 1 click #registrati — errore imprevisto nell'app (RuntimeError: guasto di prova), "
            "mostrata la pagina 6B; errori: nessuno"
        ),
        "  · 2 expect_step 2A (saltato)",
    ]
    assert "Traceback" not in "\n".join(lines)


def test_a_step_after_the_console_closed_fails(tmp_path):
    path = tmp_path / "esci.toml"
    path.write_text('[[step]]\npress = "ctrl+q"\n\n[[step]]\nclick = "#registrati"\n', encoding="utf-8")
    lines: list[str] = []
    assert scenario.main([path], out=lines.append, timeout=3) == scenario.EXIT_FAILED
    expected = (
        "  ✘ 2 click #registrati — atteso la console aperta, visto la console chiusa da un passo precedente; "
        "errori: nessuno"
    )
    assert expected in lines


def test_a_date_typed_without_slashes_and_sesso_chosen_by_the_verb(tmp_path):
    """`type` checks what the field shows after typing: 14031975 shows as 14/03/1975."""
    path = tmp_path / "3a-veloce.toml"
    path.write_text(
        '[[step]]\nclick = "#registrati"\n\n[[step]]\nclick = "#persona"\n\n'
        '[[step]]\ntype = "#nome"\ntext = "Mario"\n\n[[step]]\ntype = "#cognome"\ntext = "Rossi"\n\n'
        '[[step]]\ntype = "#data-nascita"\ntext = "14031975"\n\n'
        '[[step]]\ntype = "#data-nascita"\ntext = "14-3-1975"\n\n'
        '[[step]]\nchoose = "#sesso"\noption = "Maschio"\n\n'
        '[[step]]\nclick = "#continua"\n\n[[step]]\nexpect_step = "4A"\n',
        encoding="utf-8",
    )
    lines: list[str] = []
    assert scenario.main([path], out=lines.append, timeout=10) == scenario.EXIT_OK, "\n".join(lines)


def test_cli_runs_a_scenario_end_to_end(capsys, tmp_path):
    path = SCENARIOS / "04-azienda.toml"
    code = cli.main(["--data-dir", str(tmp_path), "scenario", str(path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"Scenario {path} — 2A: Azienda" in out
    assert "  ✔ 1 expect_step 1A" in out
    assert '  ✔ 9 expect_text "partita IVA"' in out
    assert re.search(r"→ superato: \d+ passi in [\d,]+ s", out)
    assert out.rstrip().endswith("1 file: 1 superato, 0 falliti")


def test_cli_reports_a_failing_and_an_invalid_file(capsys, tmp_path):
    folder = tmp_path / "scenari"
    folder.mkdir()
    (folder / "a.toml").write_text('[[step]]\nexpect_step = "9Z"\n', encoding="utf-8")
    (folder / "b.toml").write_text('[[step]]\ntype = "#nome"\n', encoding="utf-8")
    code = cli.main(["--data-dir", str(tmp_path), "scenario", "--timeout", "1", str(folder)])
    out = capsys.readouterr().out
    assert code == 2, out
    assert "  ✘ 1 expect_step 9Z — atteso 9Z, visto 1A; errori: nessuno" in out
    assert f"{folder / 'b.toml'}: passo 1: «type» richiede anche «text»" in out
    assert out.rstrip().endswith("2 file: 0 superati, 1 fallito, 1 non valido")


def test_cli_missing_file_is_invalid(capsys, tmp_path):
    missing = tmp_path / "non-esiste.toml"
    assert cli.main(["--data-dir", str(tmp_path), "scenario", str(missing)]) == 2
    assert f"{missing}: il file non esiste" in capsys.readouterr().out


# --- checking the file before running it --------------------------------------------


def _error(text: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        scenario.parse(Path("prova.toml"), text)
    return caught.value.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[step]]\nclik = "#a"\n', "prova.toml: passo 1: verbo sconosciuto «clik»"),
        ('[[step]]\nclick = "#a"\n[[step]]\ntype = "#nome"\n', "prova.toml: passo 2: «type» richiede anche «text»"),
        ('[[step]]\nchoose = "#sesso"\n', "passo 1: «choose» richiede anche «option»"),
        ('[[step]]\nattach = "#allega-fronte"\n', "passo 1: «attach» richiede anche «file»"),
        ('[[step]]\ntype = "#nome"\ntext = 3\n', "passo 1: «text» deve essere un testo, non un numero"),
        ('[[step]]\nclick = "#a"\ntext = "x"\n', "passo 1: «text» si usa solo con «type», non con «click»"),
        ('[[step]]\nclick = "#a"\nexpect_step = "1A"\n', "passo 1: un passo ha un solo verbo"),
        ("[[step]]\n", "passo 1: manca il verbo"),
        ('[[step]]\nclick = "registrati"\n', 'passo 1: «click» vuole l\'id di un widget come "#nome"'),
        ("[[step]]\nclick = 3\n", "passo 1: «click» vuole l'id di un widget come \"#nome\", non un numero"),
        ('[[step]]\nadvance = "30"\n', "passo 1: «advance» vuole un numero di secondi, non un testo"),
        ("[[step]]\nadvance = -5\n", "passo 1: «advance» vuole un numero di secondi maggiore di zero"),
        ("[[step]]\nadvance = true\n", "passo 1: «advance» vuole un numero di secondi, non un valore vero/falso"),
        ("[[step]]\npress = []\n", "passo 1: «press» vuole un tasto"),
        ('[[step]]\npress = "notakey_zz"\n', 'prova.toml: passo 1: «press»: tasto sconosciuto "notakey_zz"'),
        ('[[step]]\nclick = "#a"\n[[step]]\npress = ["tab", "ctrl+nope"]\n', 'passo 2: «press»: tasto sconosciuto "ctrl+nope"'),
        ('[[step]]\npress = "iper+a"\n', 'passo 1: «press»: tasto sconosciuto "iper+a"'),
        ('[[step]]\npress = "period"\n', 'passo 1: «press»: tasto sconosciuto "period"'),
        ('[[step]]\nclick = "#a"\nkey = "enter"\n', "passo 1: verbo sconosciuto «key»"),
        ('[[step]]\nexpect_step = ""\n', "passo 1: «expect_step» vuole un testo non vuoto"),
        ('[[step]]\nexpect_outbox = "sms"\n', "passo 1: «expect_outbox» vuole una tabella"),
        ('[[step]]\nexpect_outbox = { canale = "sms" }\n', "passo 1: «expect_outbox» non conosce «canale»"),
        ('[[step]]\nexpect_outbox = { channel = "fax" }\n', 'passo 1: «expect_outbox.channel» deve essere "sms" o "email"'),
        ('click = "#a"\n', "prova.toml: chiave sconosciuta «click»"),
        ('name = "x"\n', "prova.toml: nessun passo"),
        ('size = [10, 10]\n[[step]]\nclick = "#a"\n', "prova.toml: «size» deve essere [colonne, righe]"),
        ('customers = "manca.csv"\n[[step]]\nclick = "#a"\n', "prova.toml: il file dei clienti manca.csv non esiste"),
        ('[[step]]\nclick = "#a\n', "prova.toml: TOML non valido alla riga 2, colonna"),
        # settings: only the rules a tester may change, with values that make sense
        ('settings = { bcrypt_rounds = 4 }\n[[step]]\nclick = "#a"\n',
         "prova.toml: «settings» non conosce «bcrypt_rounds» (ammesse: mfa_policy, code_ttl_seconds,"),
        ('settings = { db = "sqlite:///altro.db" }\n[[step]]\nclick = "#a"\n', "prova.toml: «settings» non conosce «db»"),
        ('settings = { mfa_policy = "mai" }\n[[step]]\nclick = "#a"\n',
         'prova.toml: «settings.mfa_policy» deve essere uno fra "always", "new_device", "never", non "mai"'),
        ('settings = { mfa_policy = true }\n[[step]]\nclick = "#a"\n',
         "prova.toml: «settings.mfa_policy» deve essere uno fra"),
        ('settings = { code_ttl_seconds = 900 }\n[[step]]\nclick = "#a"\n',
         "prova.toml: «settings.code_ttl_seconds» deve essere un numero intero da 30 a 600, non 900"),
        ('settings = { max_resends = -1 }\n[[step]]\nclick = "#a"\n',
         "prova.toml: «settings.max_resends» deve essere un numero intero da 0 a 100, non -1"),
        ('settings = { login_max_failures = "3" }\n[[step]]\nclick = "#a"\n',
         '«settings.login_max_failures» deve essere un numero intero da 1 a 100, non "3"'),
        ('settings = { lockout_base_seconds = 1.5 }\n[[step]]\nclick = "#a"\n',
         "«settings.lockout_base_seconds» deve essere un numero intero da 1 a 604800, non un numero"),
        ('settings = "never"\n[[step]]\nclick = "#a"\n', "prova.toml: «settings» deve essere una tabella"),
        ('[[step]]\nclick = "#a"\nsettings = { mfa_policy = "never" }\n',
         "passo 1: verbo sconosciuto «settings» (verbi ammessi: type, click, press, choose, attach, otp, expect_step, "
         "expect_text, expect_outbox, expect_error, advance, other_console) («settings» va in cima al file"),
        # other_console: what it can do and the keys it needs
        ('[[step]]\nother_console = "registra"\n', 'passo 1: «other_console» sa fare solo "register", non "registra"'),
        ("[[step]]\nother_console = 1\n", 'passo 1: «other_console» sa fare solo "register", non un numero'),
        ('[[step]]\nother_console = "register"\ncodice_fiscale = "X"\nusername = "y"\n',
         "passo 1: «other_console» richiede anche «password»"),
        ('[[step]]\nother_console = "register"\ncodice_fiscale = " "\nusername = "y"\npassword = "p"\n',
         "passo 1: «codice_fiscale» deve essere un testo non vuoto"),
        ('[[step]]\nclick = "#a"\nusername = "y"\n', "passo 1: «username» si usa solo con «other_console», non con «click»"),
        # start: a demo persona and a step the journey can start at
        ('start = "3B"\n[[step]]\nclick = "#a"\n', "prova.toml: «start» deve avere persona e passo"),
        ('start = { persona = "Alessandro Greco" }\n[[step]]\nclick = "#a"\n', "«start» deve avere persona e passo"),
        ('start = { persona = "Alessandro Greco", passo = 3 }\n[[step]]\nclick = "#a"\n',
         "«start»: persona e passo sono testi"),
        ('start = { persona = "Mario Rosi", passo = "3B" }\n[[step]]\nclick = "#a"\n',
         "prova.toml: «start»: nessuna persona si chiama «Mario Rosi». Forse: Mario Rossi?"),
        ('start = { persona = "Mario Rossi", passo = "operatore" }\n[[step]]\nclick = "#a"\n',
         "«start»: il passo «operatore» non si può usare come partenza"),
    ],
)
def test_invalid_scenarios_are_refused_with_an_italian_message(text: str, message: str):
    assert message in _error(text)


def test_a_valid_file_is_parsed_into_steps(tmp_path):
    (tmp_path / "c.csv").write_text("x", encoding="utf-8")
    text = """
name = "Prova"
description = "Una prova"
customers = "c.csv"
size = [100, 40]

[[step]]
type = "#nome"
text = "Mario"

[[step]]
press = ["tab", "enter"]

[[step]]
advance = 30

[[step]]
expect_outbox = { channel = "SMS", to = "3471234567" }
"""
    loaded = scenario.parse(tmp_path / "s.toml", text)
    assert loaded.customers == tmp_path / "c.csv" and loaded.size == (100, 40)
    assert [step.describe() for step in loaded.steps] == [
        'type #nome "Mario"',
        "press tab enter",
        "advance 30 s",
        "expect_outbox channel=sms to=3471234567",
    ]
    assert loaded.steps[0] == Step(1, "type", "#nome", "Mario")


def test_settings_and_other_console_are_parsed(tmp_path):
    text = """
settings = { mfa_policy = "never", code_ttl_seconds = 120, max_resends = 0 }

[[step]]
other_console = "register"
codice_fiscale = " FRRMRC79S03L219N "
username = "3391234567"
password = " Lavanda#Mare88"
"""
    loaded = scenario.parse(tmp_path / "s.toml", text)
    assert loaded.settings == {"mfa_policy": "never", "code_ttl_seconds": 120, "max_resends": 0}
    [step] = loaded.steps
    assert step.value == {"action": "register", "codice_fiscale": "FRRMRC79S03L219N", "username": "3391234567",
                          "password": " Lavanda#Mare88"}  # a password is taken as written
    assert step.describe() == "other_console register codice_fiscale=FRRMRC79S03L219N username=3391234567"
    assert scenario.parse(tmp_path / "s.toml", '[[step]]\nclick = "#a"\n').settings == {}
    rules = scenario.scenario_settings(tmp_path, demo=False, rules=loaded.settings)
    assert (rules.mfa_policy, rules.code_ttl_seconds, rules.max_resends, rules.bcrypt_rounds) == ("never", 120, 0, 4)
    assert scenario.scenario_settings(tmp_path, demo=False).mfa_policy == "new_device"


def test_other_console_refusing_fails_its_step_saying_why(tmp_path):
    """The second registration of one customer from the other console: refused, as the service refuses it."""
    path = tmp_path / "altra-console.toml"
    register = ('[[step]]\nother_console = "register"\ncodice_fiscale = "FRRMRC79S03L219N"\n'
                'username = "3391234567"\npassword = "Lavanda#Mare88"\n\n')
    path.write_text(f'customers = "{SCENARIOS / "clienti.csv"}"\n\n{register}{register}'
                    '[[step]]\nexpect_step = "1A"\n', encoding="utf-8")
    lines: list[str] = []
    assert scenario.main([path], out=lines.append, timeout=3) == scenario.EXIT_FAILED, "\n".join(lines)
    described = "other_console register codice_fiscale=FRRMRC79S03L219N username=3391234567"
    assert f"  ✔ 1 {described}" in lines
    assert (f"  ✘ 2 {described} — atteso dall'altra console il cliente FRRMRC79S03L219N ancora senza account, "
            "visto un account già esistente per quel cliente (questa console al passo 1A); errori: nessuno") in lines
    assert "  · 3 expect_step 1A (saltato)" in lines


def test_an_unknown_key_makes_the_file_invalid_naming_file_step_and_key():
    invalid = BROKEN / "tasto-sconosciuto.toml"
    with pytest.raises(ScenarioError) as caught:
        scenario.load(invalid)
    assert caught.value.message.startswith(f'{invalid}: passo 2: «press»: tasto sconosciuto "notakey_zz"')
    lines: list[str] = []
    assert scenario.main([invalid], out=lines.append) == scenario.EXIT_INVALID
    assert f"  ✘ file non valido: {caught.value.message}" in lines


@pytest.mark.parametrize(
    "key",
    ["enter", "tab", "escape", "ctrl+q", "shift+tab", "f9", "f12", "a", "Z", "7", "@", "è", "space", "backspace",
     "delete", "home", "end", "pageup", "pagedown", "up", "down", "left", "right", "full_stop", "slash", "minus",
     "ctrl+k", "alt+f4", "ctrl+shift+home", "exclamation_mark", "left_parenthesis", "wait:50"],
)
def test_textual_key_names_are_valid(key: str):
    loaded = scenario.parse(Path("prova.toml"), f"[[step]]\npress = {scenario._quote(key)}\n")
    assert loaded.steps[0].value == (key,)


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("3471234567", "+393471234567"),
        ("+393471234567", "+393471234567"),
        ("347 123 4567", "+393471234567"),
        ("Mario.Rossi@Gmail.com", "mario.rossi@gmail.com"),
    ],
)
def test_outbox_recipients_compare_as_stored(typed: str, normal: str):
    assert scenario.normalise_recipient(typed) == normal


def test_folders_mean_their_toml_files(tmp_path):
    (tmp_path / "b.toml").write_text("", encoding="utf-8")
    (tmp_path / "a.toml").write_text("", encoding="utf-8")
    (tmp_path / "note.txt").write_text("", encoding="utf-8")
    assert scenario.expand([tmp_path]) == [tmp_path / "a.toml", tmp_path / "b.toml"]
    assert scenario.expand([str(tmp_path / "*.toml")]) == [tmp_path / "a.toml", tmp_path / "b.toml"]


def test_start_is_parsed_to_the_persona_and_the_map_step(tmp_path):
    path = tmp_path / "avvio.toml"
    path.write_text('start = { persona = "  alessandro greco ", passo = "3b" }\n[[step]]\nexpect_step = "3B"\n',
                    encoding="utf-8")
    assert scenario.load(path).start == ("Alessandro Greco", "3B")


def test_a_start_the_persona_cannot_reach_fails_the_file_naming_where_it_stopped(tmp_path):
    path = tmp_path / "avvio.toml"
    path.write_text('start = { persona = "Anna Conti", passo = "3B" }\n[[step]]\nexpect_step = "3B"\n',
                    encoding="utf-8")
    result = scenario.run_file(path, out=lambda line: None)
    assert not result.passed
    assert "«start»: il percorso di Anna Conti non passa dal passo 3B: si ferma a gia-registrato" in result.failure
    assert any(line == "  ▶ start Anna Conti → passo 3B" for line in result.lines)
