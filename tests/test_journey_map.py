"""The journey map (areaclienti_tui/journey_map.py) and the navigator that follows it:
the map is sound, every screen of the steps package is in it, every outcome a screen
announces is in it, and a Pilot run crosses exactly the transitions it declares."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import areaclienti_tui
import areaclienti_tui.steps
from areaclienti_tui import journey_map, navigator
from areaclienti_tui.steps.base import StepScreen
from tests.pilot.conftest import SIZE, make_app  # noqa: F401 - make_app is a fixture used here
from tests.pilot.driver import Driver

PACKAGE = Path(areaclienti_tui.__file__).parent

# StepScreen subclasses that are shared frames, never shown as such (no step of their own).
BASES = {
    "base:StepScreen",
    "codes:ResendMixin",
    "codes:CodeEntryScreen",
    "codes:RegistrationCodeScreen",
    "operator:OperatorScreen",
}


def step_modules() -> list[str]:
    """Every module of the steps package, those of its packages (steps/operator/) included."""
    return [info.name for info in pkgutil.walk_packages(areaclienti_tui.steps.__path__,
                                                        prefix=f"{areaclienti_tui.steps.__name__}.")]


def step_files() -> list[Path]:
    return sorted((PACKAGE / "steps").rglob("*.py"))


def family(path: Path) -> str:
    """A step file as the map names its module: steps/operator/home.py is ``operator``."""
    return path.relative_to(PACKAGE / "steps").parts[0].removesuffix(".py")


def step_screen_classes() -> dict[str, type[StepScreen]]:
    """Every StepScreen subclass defined in the steps package, by its map name."""
    found: dict[str, type[StepScreen]] = {}
    for name in step_modules():
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, StepScreen) and cls.__module__ == module.__name__:
                found[navigator.screen_name(cls)] = cls
    return found


def test_the_map_has_no_problems():
    assert journey_map.check() == []


def test_every_map_step_names_a_screen_class():
    drawn_by = {}
    for step in journey_map.STEPS:
        drawn_by.setdefault(step.screen, []).append(step)
    for step in journey_map.STEPS:
        cls = navigator.screen_class(step.id)
        assert issubclass(cls, StepScreen), step
        assert navigator.screen_name(cls) == step.screen
        if len(drawn_by[step.screen]) == 1:  # a class drawing two steps shows the code it is given
            assert cls.STEP == step.code, f"{step.id}: {cls.__name__} shows {cls.STEP}, the map says {step.code}"


def test_every_journey_screen_is_in_the_map():
    in_map = {step.screen for step in journey_map.STEPS}
    classes = step_screen_classes()
    assert BASES <= set(classes), "a shared base moved: update BASES"
    missing = sorted(set(classes) - in_map - BASES)
    assert missing == [], f"screens that are not in the journey map: {missing}"


def test_a_class_drawing_two_steps_resolves_by_the_code_it_shows():
    from areaclienti_tui.steps.assistance import AssistanceFormScreen, AssistanceSentScreen
    from areaclienti_tui.steps.security import NewPasswordScreen
    from areaclienti_tui.steps.verification import AccountCreatedScreen

    assert navigator.step_of(AccountCreatedScreen("a@b.it")) == "7A-fatto"
    assert navigator.step_of(AccountCreatedScreen("a@b.it", step="4B")) == "4B-fatto"
    assert navigator.step_of(AssistanceFormScreen(origin="11A")) == "11A"
    assert navigator.step_of(AssistanceFormScreen(origin="7B")) == "7B"
    assert navigator.step_of(AssistanceSentScreen(1, origin="7B")) == "7B-inviata"
    assert navigator.step_of(NewPasswordScreen(1, ("a", "b", "c"))) == "cambio-password"
    assert navigator.step_of(NewPasswordScreen(1, ("a", "b", "c"), recovery=True)) == "recupero-nuova-password"


# -- every outcome announced is in the map ---------------------------------------------------

# Calls that announce an outcome: the function's name, and the positions of the source (None:
# the screen the call is made in) and of the literal outcome.
ANNOUNCERS = {
    "advance": (0, 1),
    "back_to_products": (0, 1),
}
# The only places that pass on an outcome decided elsewhere (file, function): the app's own
# advance(), back_to_products() and 9A, whose outcomes are request_security_code()'s.
FORWARDERS = {("app.py", "advance"), ("app.py", "back_to_products"), ("security.py", "confirmed")}


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Attribute) and ast.unparse(node) == "journey_map.START":
        return journey_map.START
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _literals(node: ast.expr | None) -> list[str]:
    """The outcome(s) a literal argument can be: a string, or either string of ``a if c else b``."""
    if isinstance(node, ast.IfExp):
        return _literals(node.body) + _literals(node.orelse) if _literals(node.body) and _literals(node.orelse) else []
    value = _literal(node)
    return [value] if value is not None else []


def announcements(path: Path) -> list[tuple[str | None, str | None, str, int]]:
    """(enclosing class, literal source step or None, outcome, line) of every announcement in a module;
    the 9A outcomes given to request_security_code() count as announced by 9A."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str | None, str | None, str, int]] = []

    def visit(node: ast.AST, cls: str | None, function: str | None) -> None:
        if isinstance(node, ast.ClassDef):
            cls = node.name
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = node.name
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name in ANNOUNCERS:
                source_at, outcome_at = ANNOUNCERS[name]
                outcomes = _literals(_argument(node, outcome_at, "outcome"))
                if not outcomes:
                    assert (path.name, function) in FORWARDERS, \
                        f"{path.name}:{node.lineno}: {name}() without a literal outcome"
                for outcome in outcomes:
                    found.append((cls, _literal(_argument(node, source_at, "source")), outcome, node.lineno))
            elif name == "request_security_code" and function != "request_security_code":
                outcomes = _literals(_argument(node, 3, "outcome"))
                assert outcomes, f"{path.name}:{node.lineno}: request_security_code() without a literal outcome"
                found.extend((None, "9A", outcome, node.lineno) for outcome in outcomes)
        for child in ast.iter_child_nodes(node):
            visit(child, cls, function)

    visit(tree, None, None)
    return found


def test_every_outcome_a_screen_announces_is_in_the_map():
    classes = step_screen_classes()
    pairs = {(t.source, t.outcome) for t in journey_map.TRANSITIONS}
    outcomes = {t.outcome for t in journey_map.TRANSITIONS}
    files = [PACKAGE / "app.py", *step_files()]
    seen = 0
    for path in files:
        module = "" if path.name == "app.py" else family(path)
        for cls_name, source, outcome, line in announcements(path):
            where = f"{path.name}:{line}"
            seen += 1
            if source is not None:
                assert (source, outcome) in pairs, f"{where}: the map has no {outcome!r} from {source}"
                continue
            cls = classes.get(f"{module}:{cls_name}")
            if cls is None:  # a helper function: the screen comes in as an argument
                assert outcome in outcomes, f"{where}: no step of the map has the outcome {outcome!r}"
                continue
            # The steps drawn by this class or by its subclasses (a base announces for them).
            steps = [s.id for s in journey_map.STEPS if issubclass(navigator.screen_class(s.id), cls)]
            assert steps, f"{where}: {cls_name} announces {outcome!r} but draws no step of the map"
            for step_id in steps:
                assert (step_id, outcome) in pairs, f"{where}: the map has no {outcome!r} from {step_id}"
    assert seen > 40  # the walk found the announcements


def test_no_step_module_imports_another_to_move_on():
    """Step modules import shared frames (base, codes) and never each other nor the app
    (the modules of a package, steps/operator/, import each other)."""
    shared = {"areaclienti_tui.steps.base", "areaclienti_tui.steps.codes"}
    for path in step_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                assert not name.startswith(("areaclienti_tui.app", "areaclienti_tui.navigator")), \
                    f"{path.name}:{node.lineno} imports {name}"
                if name.startswith("areaclienti_tui.steps.") and name.count(".") == 2:
                    assert name in shared or name.endswith(f".{family(path)}"), \
                        f"{path.name}:{node.lineno} imports the step module {name}"


# -- the navigator --------------------------------------------------------------------------


def test_an_unknown_outcome_raises_key_error():
    with pytest.raises(KeyError, match="esito 'boh'"):
        navigator.transition_for("3A", "boh")
    with pytest.raises(KeyError):
        navigator.transition_for("passo-che-non-esiste", "continua")


async def test_an_unknown_outcome_from_a_screen_raises_and_moves_nothing(make_app):  # noqa: F811
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.expect_step("1A")
        stack = list(app.screen_stack)
        with pytest.raises(KeyError, match="1A"):
            app.advance(app.screen, "vola-via")
        assert app.screen_stack == stack and app.crossed == []


async def test_registration_to_login_crosses_exactly_the_map_transitions(make_app):  # noqa: F811
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        d = Driver(pilot)
        await d.register_until_code(
            nome="Mario", cognome="Rossi", data="14/03/1975", sesso="Maschio",
            username="mario.rossi@gmail.com", password="Girasole#Verde7",
        )
        await d.expect_step("6A")
        await d.click("#continua")
        await d.expect_step("7A")
        await d.type_keys("#otp", d.code("mario.rossi@gmail.com"))
        await d.click("#continua")
        await d.until(lambda: navigator.step_of(app.screen) == "7A-fatto", "account created")
        await d.click("#accedi")
        await d.until(lambda: navigator.step_of(app.screen) == "8A", "login")
        assert app.screen.query_one("#username").value == "mario.rossi@gmail.com"
        assert [t.label for t in app.crossed] == [
            "1A —registrati→ 2A",
            "2A —persona→ 3A",
            "3A —continua→ 4A",
            "4A —continua→ 5A",
            "5A —riconosciuto→ 6A",
            "6A —continua→ 7A",
            "7A —confermato→ 7A-fatto",
            "7A-fatto —accedi→ 8A",
        ]
        assert all(isinstance(t, journey_map.Transition) for t in app.crossed)
        # ricomincia: 1A under the login, with a clean journey
        assert [navigator.step_of(s) for s in app.screen_stack[1:]] == ["1A", "8A"]


class FakeApp:
    """What the navigator asks of the app, recorded."""

    def __init__(self) -> None:
        self.crossed: list[journey_map.Transition] = []
        self.calls: list[tuple[str, object]] = []

    def push_screen(self, screen):  # noqa: ANN001, ANN201
        self.calls.append(("push", screen))

    def restart(self, then=None):  # noqa: ANN001, ANN201
        self.calls.append(("restart", then))

    def pop_screen(self):  # noqa: ANN201
        self.calls.append(("pop", None))

    def switch_screen(self, screen):  # noqa: ANN001, ANN201
        self.calls.append(("switch", screen))


def test_each_way_of_the_map_moves_the_screens_as_it_says():
    from areaclienti_tui.steps.assistance import AssistanceFormScreen
    from areaclienti_tui.steps.login import LoginScreen
    from areaclienti_tui.steps.operator import OperatorHomeScreen, OperatorLoginScreen
    from areaclienti_tui.steps.pathb import NoContactScreen
    from areaclienti_tui.steps.verification import AccountCreatedScreen

    app = FakeApp()
    navigator.advance(app, NoContactScreen(), "assistenza", origin="7B")  # avanti
    navigator.advance(app, AccountCreatedScreen("a@b.it", step="4B"), "accedi", username="a@b.it")  # ricomincia
    navigator.advance(app, "senza-polizza", "inizio")  # ricomincia da 1A, nothing on top
    navigator.advance(app, OperatorLoginScreen(), "entrato", initial="coda")  # sostituisci
    navigator.advance(app, "operatore-richiesta", "decisa")  # chiudi
    (push, form), (restart, login), (start, nothing), (switch, home), (pop, _) = app.calls
    assert (push, restart, start, switch, pop) == ("push", "restart", "restart", "switch", "pop")
    assert isinstance(form, AssistanceFormScreen) and form.STEP == "7B"
    assert isinstance(login, LoginScreen) and login._username == "a@b.it"
    assert nothing is None
    assert isinstance(home, OperatorHomeScreen) and home.initial == "coda"
    assert [t.label for t in app.crossed] == [
        "5B —assistenza→ 7B", "4B-fatto —accedi→ 8A", "senza-polizza —inizio→ 1A",
        "operatore-accesso —entrato→ operatore", "operatore-richiesta —decisa→ operatore",
    ]


def test_a_payload_that_builds_another_step_is_refused():
    from areaclienti_tui.steps.pathb import NoContactScreen

    app = FakeApp()
    with pytest.raises(ValueError, match="la mappa voleva '7B'"):
        navigator.advance(app, NoContactScreen(), "assistenza", origin="11A")  # 5B leads to 7B, not 11A
    with pytest.raises(KeyError, match="non è nella mappa"):
        navigator.advance(app, StepScreen(), "continua")
    assert app.calls == [] and app.crossed == []
