"""Shared fixtures: a fake clock, settings on a temporary folder, ready contexts.

Running the Alembic migration for every test is slow, so each session builds
two template SQLite files once (an empty migrated schema, and the same with the
demo personas) and every test gets its own *copy* of one of them. The templates
are checkpointed and their engines disposed before copying, so the main file
holds everything and no ``-wal``/``-shm`` companion is needed.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from areaclienti_tui.clock import FakeClock
from areaclienti_tui.driver import quick_pilot
from areaclienti_tui.services import importer
from areaclienti_tui.services.context import Context
from areaclienti_tui.services.setup import open_context
from areaclienti_tui.settings import Settings

DB_NAME = "t.db"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `long(seconds)` run first, longest first; the rest keep their order.

    pytest-xdist hands tests to its workers in this order: a long test handed out
    last would keep one worker busy while the other has nothing left to do, and
    the suite would end when it does. Started first, the short tests fill in
    around the long ones. The seconds are rough figures for this machine, used
    only to order (bench.suite lists the slowest tests of a run).
    """
    def cost(item: pytest.Item) -> float:
        marker = item.get_closest_marker("long")
        return -float(marker.args[0]) if marker is not None else 0.0

    items.sort(key=cost)  # stable: unmarked tests keep their collection order

# Pilot notices within 2 ms, not 20, that the app has handled a key (see quick_pilot).
quick_pilot()


def _settings_for(folder: Path, db_name: str = DB_NAME) -> Settings:
    return Settings(data_dir=folder, db=f"sqlite:///{folder / db_name}", bcrypt_rounds=4, demo=False)


def _build_template(folder: Path, *, seed_demo: bool) -> Path:
    """Migrate (and optionally seed) one SQLite file, then leave it self-contained."""
    settings = _settings_for(folder)
    ctx = open_context(settings, FakeClock(), seed_demo=seed_demo)
    with ctx.db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    ctx.db.dispose()
    # Closing the last connection removes the WAL file; the main file is complete.
    assert not (folder / f"{DB_NAME}-wal").exists()
    return folder / DB_NAME


@pytest.fixture(scope="session")
def _empty_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build_template(tmp_path_factory.mktemp("template-empty"), seed_demo=False)


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build_template(tmp_path_factory.mktemp("template-demo"), seed_demo=True)


@pytest.fixture
def clock() -> FakeClock:
    """A clock that moves only with ``clock.advance(seconds)`` (starts 2026-03-02 09:00 UTC)."""
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on this test's tmp_path: its own SQLite file, cheap bcrypt, no demo."""
    return _settings_for(tmp_path)


def _open_copy(template: Path, settings: Settings, clock: FakeClock, *, seed_demo: bool) -> Context:
    shutil.copyfile(template, settings.data_dir / DB_NAME)
    return open_context(settings, clock, seed_demo=seed_demo)


@pytest.fixture
def ctx(_empty_template: Path, settings: Settings, clock: FakeClock) -> Iterator[Context]:
    """A context on a migrated, empty database (copied from the session template)."""
    context = _open_copy(_empty_template, settings, clock, seed_demo=False)
    yield context
    context.db.dispose()


@pytest.fixture
def demo_ctx(_demo_template: Path, settings: Settings, clock: FakeClock) -> Iterator[Context]:
    """A context on a database holding the demo personas, Anna Conti's account and the operator.

    The copy is already migrated, so ``open_context(seed_demo=True)`` finds it
    not new and does not seed twice; the template was seeded at the same
    FakeClock start time the ``clock`` fixture uses.
    """
    context = _open_copy(_demo_template, settings, clock, seed_demo=True)
    yield context
    context.db.dispose()


@pytest.fixture
def customers_csv(ctx: Context, tmp_path: Path) -> Callable[..., importer.ImportReport]:
    """``customers_csv(text, name="clienti.csv")`` writes the CSV (dedented) and imports it into ``ctx``."""

    def write_and_import(text: str, name: str = "clienti.csv") -> importer.ImportReport:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return importer.import_file(ctx, path)

    return write_and_import


@pytest.fixture(scope="session")
def scenario_runs(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """``scenario_runs(path)``: the run of a scenario file, done once per session (tests/scenario_runs.py)."""
    from tests.scenario_runs import ScenarioRuns, shared_folder

    return ScenarioRuns(shared_folder(tmp_path_factory.getbasetemp()))
