"""Which transitions of the journey map the scenarios cross (`scenario --copertura`,
`--json`), the JUnit report (`--junit`), and the project's own scenarios covering
every transition of the map."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest

from areaclienti_tui import cli, journey_map, scenario, scenario_coverage, scenario_junit
from areaclienti_tui.journey_map import Transition
from areaclienti_tui.scenario_coverage import Recording, ScreenRecorder, Visit

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
FILES = sorted(SCENARIOS.glob("*.toml"))

# 1A → 2A → Azienda → Indietro → Persona → 3A, then Esc back to 2A (Esc is not a transition).
SMALL = """
name = "Piccolo"
description = "Da 1A a 3A passando per Azienda, poi Esc"

[[step]]
click = "#registrati"

[[step]]
click = "#azienda"

[[step]]
click = "#indietro"

[[step]]
click = "#persona"

[[step]]
expect_step = "3A"

[[step]]
press = "escape"

[[step]]
expect_step = "2A"
"""
SMALL_CROSSED = [("1A", "registrati", "2A"), ("2A", "azienda", "2A-azienda"),
                 ("2A-azienda", "indietro", "2A"), ("2A", "persona", "3A")]


def _key(transition: Transition) -> tuple[str, str, str]:
    return transition.source, transition.outcome, transition.target


# --- working out the transitions from the screens ---------------------------------------------


def test_pairs_of_steps_become_transitions_and_esc_is_not_one():
    visits = [Visit("1A"), Visit("2A", hint="registrati"), Visit("3A", hint="persona"),
              Visit("2A", revealed=True, hint="indietro", back=True), Visit("2A-azienda", hint="azienda"),
              Visit("2A", revealed=True, hint="indietro", back=True)]
    crossed, notes = scenario_coverage.crossings(visits)
    assert [_key(t) for t in crossed] == [("1A", "registrati", "2A"), ("2A", "persona", "3A"),
                                          ("2A", "azienda", "2A-azienda"), ("2A-azienda", "indietro", "2A")]
    assert notes == []


def test_a_screen_shown_again_by_going_back_is_not_the_outcome_that_leads_there():
    """9A opened from the products, Esc or Indietro: back to the same products page, not "entrato"."""
    back = [Visit("8A-prodotti"), Visit("9A", hint="cambia-password"),
            Visit("8A-prodotti", revealed=True, hint="indietro", back=True)]
    assert [_key(t) for t in scenario_coverage.crossings(back)[0]] == [("8A-prodotti", "codice-di-sicurezza", "9A")]
    entered = [Visit("8A-prodotti"), Visit("9A"), Visit("8A-prodotti", hint="continua")]
    assert ("9A", "entrato", "8A-prodotti") in [_key(t) for t in scenario_coverage.crossings(entered)[0]]


def test_several_candidates_count_only_the_one_the_action_names(monkeypatch):
    twins = (Transition("1A", "registrati", "2A"), Transition("1A", "persona-veloce", "2A"))
    monkeypatch.setattr(journey_map, "TRANSITIONS", twins)
    named, notes = scenario_coverage.crossings([Visit("1A"), Visit("2A", hint="persona-veloce")])
    assert named == [twins[1]] and notes == []
    unnamed, notes = scenario_coverage.crossings([Visit("1A"), Visit("2A", hint="continua")])
    assert unnamed == []
    assert notes == ["1A → 2A: esito ambiguo (registrati, persona-veloce), non contato"]


def test_actions_name_outcomes():
    assert scenario_coverage.action_hint("click", "#accedi") == ("accedi", False)
    assert scenario_coverage.action_hint("click", "#indietro") == ("indietro", True)
    assert scenario_coverage.action_hint("press", ("escape",)) == ("indietro", True)
    assert scenario_coverage.action_hint("press", ("tab", "enter")) == (None, False)
    assert scenario_coverage.action_hint("expect_step", "2A") == (None, False)


class _Signal:
    def __init__(self) -> None:
        self.callbacks: list = []

    def subscribe(self, _node, callback) -> None:  # noqa: ANN001
        self.callbacks.append(callback)

    def unsubscribe(self, _node) -> None:  # noqa: ANN001
        self.callbacks.clear()


def _fake_screen(module: str, name: str) -> object:
    kind = type(name, (), {"__module__": f"areaclienti_tui.steps.{module}"})
    return kind()


def test_the_recorder_keeps_map_steps_only_and_uses_the_apps_own_list_when_there_is_one():
    welcome, kinds, persona = (_fake_screen("welcome", "WelcomeScreen"), _fake_screen("welcome", "CustomerTypeScreen"),
                               _fake_screen("registration", "PersonalDataScreen"))
    modal = _fake_screen("modals", "ConfirmModal")
    app = SimpleNamespace(screen_change_signal=_Signal(), screen_stack=[object(), welcome], current_step="1A")
    recorder = ScreenRecorder()
    recorder.attach(app)
    for stack, code, action in (([welcome, kinds], "2A", ("click", "#registrati")),
                                ([welcome, kinds, modal], "2A", ("press", ("f1",))),  # not in the map
                                ([welcome, kinds, persona], "3A", ("click", "#persona")),
                                ([welcome, kinds], "2A", ("press", ("escape",)))):
        recorder.doing(*action)
        app.screen_stack, app.current_step = [object(), *stack], code
        for callback in app.screen_change_signal.callbacks:
            callback(stack[-1])
    assert [(v.step, v.revealed, v.back) for v in recorder.recording.visits] == [
        ("1A", False, False), ("2A", False, False), ("3A", False, False), ("2A", True, True)]
    recording = recorder.finish()
    assert recording.source == scenario_coverage.SOURCE_SCREENS
    assert [_key(t) for t in recording.crossed] == [("1A", "registrati", "2A"), ("2A", "persona", "3A")]
    assert app.screen_change_signal.callbacks == []

    # An app that keeps its own list: that list counts; what the screens showed besides is kept apart.
    app = SimpleNamespace(screen_change_signal=_Signal(), screen_stack=[object(), welcome], current_step="1A",
                          crossed=[journey_map.next_transition("1A", "registrati"), "non una transizione"])
    recorder = ScreenRecorder()
    recorder.attach(app)
    app.screen_stack, app.current_step = [object(), welcome, kinds], "2A"
    app.screen_change_signal.callbacks[0](kinds)
    recording = recorder.finish()
    assert recording.source == scenario_coverage.SOURCE_NAVIGATOR
    assert [_key(t) for t in recording.crossed] == [("1A", "registrati", "2A")]
    assert recording.notes == ["transizione registrata dall'app ma assente dalla mappa: 'non una transizione'"]
    assert recording.screens_only == []


# --- adding up, and the report ---------------------------------------------------------------


def _result(name: str, status: str, crossed: list[tuple[str, str, str]], **extra) -> scenario.FileResult:  # noqa: ANN003
    recording = Recording(crossed=[next(t for t in journey_map.TRANSITIONS if _key(t) == key) for key in crossed])
    return scenario.FileResult(Path(name), status, recording=recording if status != "non valido" else None, **extra)


def test_coverage_counts_each_transition_once_whatever_how_many_times_it_is_crossed():
    total = len(journey_map.TRANSITIONS)
    report = scenario_coverage.coverage([
        _result("a.toml", "superato", SMALL_CROSSED),
        _result("b.toml", "fallito", [("1A", "registrati", "2A"), ("1A", "registrati", "2A")]),
        _result("c.toml", "non valido", []),
    ])
    assert len(report.crossed) == 4 and len(report.never) == total - 4
    assert report.times[journey_map.next_transition("1A", "registrati")] == 3
    assert report.where[journey_map.next_transition("1A", "registrati")] == ["a.toml", "b.toml"]
    assert report.percent == round(400 / total, 1)
    lines = report.lines()
    assert lines[0] == (f"Copertura della mappa: 4 transizioni attraversate su {total} "
                        f"({scenario_coverage.percent_text(report.percent)}).")
    assert lines[1] == f"Mai attraversate ({total - 4}):"
    assert "  1A —accedi→ 8A" in lines and "  1A —registrati→ 2A" not in lines
    assert scenario_coverage.percent_text(100.0) == "100%" and scenario_coverage.percent_text(7.14) == "7,1%"


def test_junit_report_for_a_passing_a_failing_and_an_unreadable_file():
    passing = _result("scenari/buono.toml", "superato", [], seconds=1.25, lines=["Scenario buono", "  → superato"])
    step = scenario.Step(3, "expect_text", 'Passo <3A> & "dati"\x1b[31m')
    failed_step = scenario.StepResult(step, "fallito", 'atteso il testo "<3A>", visto 1A; errori: nessuno')
    failing = _result("scenari/rotto.toml", "fallito", [], steps=[failed_step], seconds=0.5,
                      failure="scenari/rotto.toml: passo 3 …")
    unreadable = _result("scenari/manca.toml", "non valido", [], failure="scenari/manca.toml: il file non esiste")
    root = ET.fromstring(scenario_junit.junit_xml([passing, failing, unreadable]))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["buono.toml", "rotto.toml", "manca.toml"]
    assert {c.get("classname") for c in cases} == {"scenari"}
    assert cases[0].get("time") == "1.250" and cases[0].find("failure") is None
    assert cases[0].findtext("system-out") == "Scenario buono\n  → superato\n"
    failure = cases[1].find("failure")
    assert failure is not None
    assert failure.get("message") == ('passo 3 expect_text "Passo <3A> & \\"dati\\"\\x1b[31m" — '
                                      'atteso il testo "<3A>", visto 1A; errori: nessuno')
    error = cases[2].find("error")
    assert error is not None and error.get("message") == "scenari/manca.toml: il file non esiste"


# --- the command line ---------------------------------------------------------------------------


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "piccolo.toml"
    path.write_text(SMALL, encoding="utf-8")
    return path


def test_copertura_prints_the_numbers_and_the_transitions_never_crossed(capsys, tmp_path, small):
    code = cli.main(["--data-dir", str(tmp_path), "scenario", "--copertura", str(small)])
    out = capsys.readouterr().out
    assert code == 0, out
    total = len(journey_map.TRANSITIONS)
    tail = out[out.index("1 file: 1 superato, 0 falliti"):].splitlines()
    percent = scenario_coverage.percent_text(round(400 / total, 1))
    assert tail[2] == f"Copertura della mappa: 4 transizioni attraversate su {total} ({percent})."
    assert tail[3] == f"Mai attraversate ({total - 4}):"
    never = [line.strip() for line in tail[4:]]
    expected = [t.label for t in journey_map.TRANSITIONS if _key(t) not in SMALL_CROSSED]
    assert never == expected
    assert "3A —continua→ 4A" in never and "2A —persona→ 3A" not in never


def test_json_prints_one_object_on_stdout_and_the_lines_on_stderr(capfd, tmp_path, small):
    code = cli.main(["--data-dir", str(tmp_path), "scenario", "--json", str(small)])
    captured = capfd.readouterr()
    assert code == 0, captured.err
    data = json.loads(captured.out)
    total = len(journey_map.TRANSITIONS)
    assert data["transizioni"] == total and data["attraversate"] == 4
    assert data["percentuale"] == round(400 / total, 1)
    assert len(data["mai_attraversate"]) == total - 4
    assert data["mai_attraversate"][0] == {"da": "1A", "esito": "accedi", "a": "8A"}
    assert {(t["da"], t["esito"], t["a"]) for t in data["attraversamenti"]} == set(SMALL_CROSSED)
    assert all(t["volte"] == 1 and t["scenari"] == [str(small)] for t in data["attraversamenti"])
    [file] = data["scenari"]
    assert file["file"] == str(small) and file["esito"] == "superato"
    assert file["passi"] == ["1A", "2A", "2A-azienda", "2A", "3A", "2A"]
    assert file["fonte"] in (scenario_coverage.SOURCE_NAVIGATOR, scenario_coverage.SOURCE_SCREENS)
    assert file["solo_dalle_schermate"] == []
    assert "1 file: 1 superato, 0 falliti" in captured.err


def test_junit_file_for_a_passing_a_failing_and_a_missing_scenario(capsys, tmp_path, small):
    failing = tmp_path / "sbagliato.toml"
    failing.write_text('[[step]]\nclick = "#registrati"\n\n[[step]]\nexpect_step = "9Z"\n', encoding="utf-8")
    missing = tmp_path / "non-esiste.toml"
    report = tmp_path / "rapporti" / "scenari.xml"
    report.parent.mkdir()
    code = cli.main(["--data-dir", str(tmp_path), "scenario", "--timeout", "2", "--junit", str(report),
                     str(small), str(failing), str(missing)])
    out = capsys.readouterr().out
    assert code == 2, out  # a file that cannot be read: as without --junit
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    passed, failed, unread = suite.findall("testcase")
    assert [c.get("name") for c in (passed, failed, unread)] == ["piccolo.toml", "sbagliato.toml", "non-esiste.toml"]
    assert float(passed.get("time") or "x") > 0 and list(passed) == [passed.find("system-out")]
    failure = failed.find("failure")
    assert failure is not None
    assert failure.get("message") == "passo 2 expect_step 9Z — atteso 9Z, visto 2A; errori: nessuno"
    assert f"Scenario {failing}" in (failed.findtext("system-out") or "")
    error = unread.find("error")
    assert error is not None and error.get("message") == f"{missing}: il file non esiste"


def test_junit_into_a_missing_folder_is_refused_before_running(capsys, tmp_path, small):
    code = cli.main(["--data-dir", str(tmp_path), "scenario", "--junit", str(tmp_path / "no" / "r.xml"), str(small)])
    assert code == 2
    captured = capsys.readouterr()
    assert "per il rapporto JUnit non esiste" in captured.err and "Scenario" not in captured.out


# --- the project's own scenarios -------------------------------------------------------------


def _never_crossed(crossed: set[tuple[str, str, str]]) -> list[str]:
    """The map's transitions (as labels, in map order) that no scenario crossed."""
    return [t.label for t in journey_map.TRANSITIONS if _key(t) not in crossed]


def test_a_transition_added_to_the_map_and_crossed_by_no_scenario_is_named(monkeypatch):
    crossed = {_key(t) for t in journey_map.TRANSITIONS}
    assert _never_crossed(crossed) == []
    added = Transition("8A-prodotti", "nuova-operazione", "9A")
    monkeypatch.setattr(journey_map, "TRANSITIONS", (*journey_map.TRANSITIONS, added))
    assert _never_crossed(crossed) == ["8A-prodotti —nuova-operazione→ 9A"]


@pytest.mark.long(110)
def test_the_projects_scenarios_cross_every_transition_of_the_map(scenario_runs):
    """100%: every transition of the journey map is crossed by a file of scenarios/ (what
    happens on another console meanwhile: `other_console`; other rules: `settings`).
    Each file runs once per session (shared with tests/test_scenarios.py)."""
    crossed: set[tuple[str, str, str]] = set()
    for path in FILES:
        run = scenario_runs(path)
        assert run.passed, run.report
        crossed.update(_key(t) for t in run.crossed)
    never = _never_crossed(crossed)
    assert not never, "no scenario in scenarios/ crosses: " + ", ".join(never)
