"""The classroom server: console pages and their websockets, the trainer's board.

Routes (SPEC §5, classroom):

- ``/``            with seats: hands the tab a seat (its cookie's, else the next one) and
                   sends it to ``/posto/N``; without seats: the console page itself
- ``/posto/N``     the console of seat N; ``/posto/N/ws`` its websocket
- ``/ws``          without seats: a websocket with a console of its own on the shared data
- ``/formatore``   the board (operator credentials), ``/formatore/stato`` its JSON,
                   ``/formatore/posti/N/ripristina`` and ``.../avvia`` its actions (POST)
- ``/static/``     textual-serve's terminal client and font; ``/risorse/`` the board's CSS and script
- ``/download/K``  a file the console delivers (textual-serve's download manager)

Every URL a page holds is built from the address the browser used (its Host header)
or from ``--indirizzo-pubblico``: never from the address the server listens on.
Nothing is loaded from the internet. Strings from browsers and seats are escaped by
the templates (autoescape) and bounded here.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from aiohttp import WSCloseCode, WSMsgType, web

from areaclienti_tui import journey_map, start_at
from areaclienti_tui.aula.seats import Room, Seat
from areaclienti_tui.services import audit, auth
from areaclienti_tui.services.context import Context

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?")
SEAT_COOKIE = "posto"
BOARD_COOKIE = "formatore"
BOARD_SESSION_SECONDS = 8 * 3600
MAX_INPUT_CHARS = 65_536  # one websocket message of keys (a paste) at most
MAX_MESSAGE_BYTES = 4 * 1024 * 1024  # a larger paste is read and dropped; beyond this the tab is closed
MAX_FIELD = 254
KEYS_BURST = 512  # key events a tab may send at once (a paste counts as one)…
KEYS_PER_SECOND = 100.0  # …and then per second: five times a fast typist, far below what floods a console
PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"
SIZE_LIMITS = ((20, 500), (8, 200))  # columns, rows a tab may ask for
FONT_SIZES = (10, 28)


class AddressError(ValueError):
    """`--indirizzo-pubblico` that is not an http(s) URL."""


def public_base(url: str | None) -> str | None:
    """The public address as given (``https://aula.example/``) without its trailing slash;
    AddressError when it is not an http(s) URL with a host."""
    if url is None:
        return None
    parts = urlsplit(url.strip())
    try:
        port_ok = parts.port != 0  # None without a port; ValueError unless a number up to 65535
    except ValueError:
        port_ok = False
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment
            or not port_ok):
        raise AddressError("l'indirizzo pubblico va scritto come http://nome:porta o https://nome/percorso")
    if parts.hostname in ("0.0.0.0", "::"):  # noqa: S104 - refused, not bound
        raise AddressError(f"{parts.hostname} non è un indirizzo che un browser possa raggiungere")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _bounded_int(text: str | None, low: int, high: int, default: int) -> int:
    try:
        value = int(text or "")
    except ValueError:
        return default
    return min(max(value, low), high)


class KeyBudget:
    """How many key events a tab may still send: a crafted client cannot keep its console
    (and the processor the room shares) busy with thousands of keys a second."""

    def __init__(self, clock: Any = time.monotonic) -> None:  # noqa: ANN401
        self.clock = clock
        self.left = float(KEYS_BURST)
        self.at = clock()
        self.dropped = 0

    def take(self, keys: str) -> bool:
        now = self.clock()
        self.left = min(float(KEYS_BURST), self.left + (now - self.at) * KEYS_PER_SECOND)
        self.at = now
        cost = 1 if keys.startswith(PASTE_START) and keys.endswith(PASTE_END) else max(1, len(keys))
        if cost > self.left:
            self.dropped += 1
            return False
        self.left -= cost
        return True


@dataclass
class BoardSession:
    username: str
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    expires: float = field(default_factory=lambda: time.monotonic() + BOARD_SESSION_SECONDS)
    notice: tuple[str, str] | None = None  # (kind, text) shown once on the next page


class ClassroomServer:
    def __init__(self, room: Room, ctx: Context, *, public_url: str | None = None, title: str = "Area Clienti") -> None:
        self.room = room
        self.ctx = ctx  # the room's own database: the operators who may open the board
        self.public = public_base(public_url)
        self.title = title
        self.sessions: dict[str, BoardSession] = {}
        self.templates = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                                            autoescape=True, undefined=jinja2.StrictUndefined)
        self._personas: list[str] | None = None
        self.sockets: set[web.WebSocketResponse] = set()  # the tabs' open websockets, closed on shutdown

    # -- the application ---------------------------------------------------------------

    def make_app(self) -> web.Application:
        from textual_serve.download_manager import DownloadManager

        import textual_serve

        if self.room.downloads is None:
            self.room.downloads = DownloadManager()
        app = web.Application(client_max_size=64 * 1024, middlewares=[self._errors])
        statics = Path(textual_serve.__file__).resolve().parent / "static"
        app.add_routes([
            web.get("/", self.index),
            web.get("/ws", self.shared_socket),
            web.get(r"/posto/{n:\d{1,3}}", self.seat_page),
            web.get(r"/posto/{n:\d{1,3}}/ws", self.seat_socket),
            web.get("/formatore", self.board),
            web.post("/formatore/accesso", self.board_login),
            web.post("/formatore/esci", self.board_logout),
            web.get("/formatore/stato", self.board_status),
            web.post(r"/formatore/posti/{n:\d{1,3}}/ripristina", self.board_reset),
            web.post(r"/formatore/posti/{n:\d{1,3}}/avvia", self.board_start),
            web.post("/formatore/posti/ripristina-tutti", self.board_reset_all),
            web.get("/download/{key}", self.download),
            web.get("/favicon.ico", self.no_icon),
            web.static("/static", statics),
            web.static("/risorse", HERE / "risorse"),
        ])
        app.on_startup.append(self._on_startup)
        app.on_shutdown.append(self._on_shutdown)
        app.on_cleanup.append(self._on_cleanup)
        return app

    @web.middleware
    async def _errors(self, request: web.Request, handler: Any) -> web.StreamResponse:  # noqa: ANN401
        """An unexpected error is logged and shown as a short Italian page, never a traceback."""
        try:
            return await handler(request)
        except web.HTTPException as error:
            no_route = getattr(request.match_info, "http_exception", None)  # aiohttp's MatchInfoError
            if error is no_route and error.status in (404, 405):  # not aiohttp's English line
                page = self.render("errore.html", status=error.status, base=self.base_url(request),
                                   message="Questa pagina non c'è: controlla l'indirizzo.")
                if "Allow" in error.headers:
                    page.headers["Allow"] = error.headers["Allow"]
                return page
            raise
        except (asyncio.CancelledError, ConnectionResetError):
            raise
        except Exception:
            log.exception("classroom server: %s %s", request.method, request.path)
            body = self.templates.get_template("errore.html").render(
                title=self.title, base="", message="Si è verificato un errore imprevisto. Riprova tra poco; "
                "se si ripete, il formatore trova i dettagli nel registro del server.")
            return web.Response(text=body, status=500, content_type="text/html", charset="utf-8")

    async def _on_startup(self, _app: web.Application) -> None:
        self.room.start_reaper()

    async def _on_shutdown(self, _app: web.Application) -> None:
        """Ctrl+C: the open tabs are told the server is going (aiohttp would wait up to a minute for
        their websocket handlers, which a tab answering the heartbeat keeps open)."""
        await asyncio.gather(*(socket.close(code=WSCloseCode.GOING_AWAY, message="server chiuso".encode())
                               for socket in list(self.sockets)), return_exceptions=True)

    async def _on_cleanup(self, _app: web.Application) -> None:
        await self.room.shutdown()

    # -- addresses -------------------------------------------------------------------

    def base_url(self, request: web.Request) -> str:
        """The address pages point at: the public one, else the one the browser used."""
        if self.public is not None:
            return self.public
        host = request.host
        if not HOST.fullmatch(host):
            raise web.HTTPBadRequest(text="Indirizzo non valido.")
        return f"{request.scheme}://{host}"

    def socket_url(self, request: web.Request, path: str) -> str:
        base = self.base_url(request)
        return ("wss" if base.startswith("https:") else "ws") + base[base.index(":"):] + path

    def render(self, name: str, status: int = 200, **context: Any) -> web.Response:  # noqa: ANN401
        body = self.templates.get_template(name).render(title=self.title, **context)
        response = web.Response(text=body, status=status, content_type="text/html", charset="utf-8")
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    def not_found(self, request: web.Request, text: str) -> web.Response:
        return self.render("errore.html", status=404, base=self.base_url(request), message=text)

    # -- the consoles --------------------------------------------------------------------

    def console_page(self, request: web.Request, socket_path: str, heading: str) -> web.Response:
        base = self.base_url(request)
        font = _bounded_int(request.query.get("fontsize"), *FONT_SIZES, 16)
        return self.render("console.html", base=base, socket_url=self.socket_url(request, socket_path),
                           font_size=font, heading=heading)

    async def index(self, request: web.Request) -> web.StreamResponse:
        if not self.room.classroom:
            return self.console_page(request, "/ws", self.title)
        own = _bounded_int(request.cookies.get(SEAT_COOKIE), 0, 999, 0) or None
        number = self.room.assign(own)
        if number is None:
            return self.render("errore.html", status=503, base=self.base_url(request),
                               message=f"L'aula è piena: tutti i {len(self.room.seats)} posti sono aperti. "
                                       "Chiedi al formatore quale posto usare.")
        raise web.HTTPSeeOther(f"{self.base_url(request)}/posto/{number}")

    def _seat(self, request: web.Request) -> Seat | None:
        return self.room.seat(int(request.match_info["n"]))

    async def seat_page(self, request: web.Request) -> web.StreamResponse:
        seat = self._seat(request)
        if seat is None:
            return self.not_found(request, self._no_seat_message(request))
        self.room.handed_out.add(seat.number)
        response = self.console_page(request, f"/posto/{seat.number}/ws", f"Posto {seat.number} · {self.title}")
        response.set_cookie(SEAT_COOKIE, str(seat.number), max_age=12 * 3600, path="/", samesite="Lax",
                            httponly=True)
        return response

    def _no_seat_message(self, request: web.Request) -> str:
        if not self.room.classroom:
            return "Questa console non ha posti: è aperta a tutti all'indirizzo principale."
        return (f"Il posto {request.match_info['n']} non c'è: i posti vanno da 1 a {len(self.room.seats)}.")

    async def seat_socket(self, request: web.Request) -> web.StreamResponse:
        seat = self._seat(request)
        if seat is None:
            raise web.HTTPNotFound(text=self._no_seat_message(request))
        socket = web.WebSocketResponse(heartbeat=15, max_msg_size=MAX_MESSAGE_BYTES)
        await socket.prepare(request)
        self.sockets.add(socket)
        width, height = self._size(request.query.get("width"), request.query.get("height"))
        await self.room.attach(seat, socket, request.remote or "", width, height)
        budget = KeyBudget()
        try:
            async for message in socket:
                if message.type != WSMsgType.TEXT:
                    continue
                if seat.viewer is not socket:
                    break  # taken over by another tab
                await self._from_tab(socket, message.data, seat=seat, budget=budget)
        finally:
            self.sockets.discard(socket)
            await self.room.detach(seat, socket)
        return socket

    async def shared_socket(self, request: web.Request) -> web.StreamResponse:
        if self.room.classroom:
            raise web.HTTPNotFound(text="Con l'aula ogni console è a /posto/N.")
        socket = web.WebSocketResponse(heartbeat=15, max_msg_size=MAX_MESSAGE_BYTES)
        await socket.prepare(request)
        self.sockets.add(socket)
        width, height = self._size(request.query.get("width"), request.query.get("height"))
        console = await self.room.open_shared(socket, width, height)
        budget = KeyBudget()
        try:
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    await self._from_tab(socket, message.data, console=console, budget=budget)
        finally:
            self.sockets.discard(socket)
            await self.room.close_shared(console)
        return socket

    def _size(self, width: str | None, height: str | None) -> tuple[int, int]:
        (low_w, high_w), (low_h, high_h) = SIZE_LIMITS
        return _bounded_int(width, low_w, high_w, 80), _bounded_int(height, low_h, high_h, 24)

    async def _from_tab(self, socket: web.WebSocketResponse, data: str, *, seat: Seat | None = None,
                        console: Any = None, budget: KeyBudget | None = None) -> None:  # noqa: ANN401
        """One message of textual-serve's client: keys, a new size, focus, a ping."""
        try:
            envelope = json.loads(data)
        except (ValueError, RecursionError):  # RecursionError: "[[[[…" nested deeper than Python recurses
            return
        if not isinstance(envelope, list) or not envelope or not isinstance(envelope[0], str):
            return
        kind, value = envelope[0], envelope[1] if len(envelope) > 1 else None
        if seat is not None:
            console = seat.console
        if kind == "ping" and isinstance(value, str):
            await socket.send_json(["pong", value[:32]])
            return
        if console is None:
            return
        if kind == "stdin" and isinstance(value, str):
            if len(value) > MAX_INPUT_CHARS:  # dropped whole: cut, a bracketed paste would lose its end
                return  # marker and the console would take every later key as part of the paste
            if budget is not None and not budget.take(value):
                if budget.dropped in (1, 100, 10_000):
                    log.warning("a tab sent keys faster than a person types: %d messages dropped", budget.dropped)
                return
            await console.send_bytes(value.encode("utf-8", "replace"))
        elif kind == "resize" and isinstance(value, dict):
            size = self._size(str(value.get("width")), str(value.get("height")))
            if seat is not None:
                seat.size = size
            await console.resize(*size)
        elif kind in ("focus", "blur"):
            await console.send_meta({"type": kind})

    async def no_icon(self, _request: web.Request) -> web.StreamResponse:
        return web.Response(status=204)  # browsers ask for it; the page has none

    async def download(self, request: web.Request) -> web.StreamResponse:
        downloads = self.room.downloads
        key = request.match_info["key"]
        try:
            meta = await downloads.get_download_metadata(key)
        except KeyError:
            raise web.HTTPNotFound(text="File non trovato.") from None
        response = web.StreamResponse()
        response.headers["Content-Type"] = meta.mime_type + (f"; charset={meta.encoding}" if meta.encoding else "")
        disposition = "inline" if meta.open_method == "browser" else "attachment"
        safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", meta.file_name)[:100] or "file"
        response.headers["Content-Disposition"] = f"{disposition}; filename={safe_name}"
        await response.prepare(request)
        async for chunk in downloads.download(key):
            await response.write(chunk)
        await response.write_eof()
        return response

    # -- the board -----------------------------------------------------------------------

    def _board_session(self, request: web.Request) -> tuple[str, BoardSession] | None:
        token = request.cookies.get(BOARD_COOKIE, "")
        board = self.sessions.get(token)
        if board is None:
            return None
        if board.expires < time.monotonic():
            self.sessions.pop(token, None)
            return None
        return token, board

    def _require_board(self, request: web.Request) -> BoardSession:
        found = self._board_session(request)
        if found is None:
            raise web.HTTPSeeOther(f"{self.base_url(request)}/formatore")
        return found[1]

    async def _checked_form(self, request: web.Request) -> tuple[BoardSession, Any]:  # noqa: ANN401
        board = self._require_board(request)
        form = await request.post()
        if not hmac.compare_digest(str(form.get("token", "")).encode(), board.csrf.encode()):
            raise web.HTTPForbidden(text="Modulo scaduto: ricarica la bacheca.")
        return board, form

    def personas(self) -> list[str]:
        if self._personas is None:
            try:
                self._personas = [p.persona for p in start_at.load_personas()]
            except start_at.StartError as error:
                log.error("classroom board: %s", error)
                self._personas = []
        return self._personas

    def _board_page(self, request: web.Request, board: BoardSession) -> web.Response:
        notice, board.notice = board.notice, None
        steps = [(step, journey_map.step(step).title) for step in start_at.STARTABLE]
        return self.render("formatore.html", base=self.base_url(request), seats=self.room.snapshot(),
                           personas=self.personas(), steps=steps, operator=board.username, token=board.csrf,
                           notice=notice, idle_minutes=round(self.room.idle_seconds / 60, 1))

    async def board(self, request: web.Request) -> web.StreamResponse:
        if not self.room.classroom:
            return self.not_found(request, "La bacheca del formatore c'è solo con «serve --aula N».")
        found = self._board_session(request)
        if found is None:
            return self.render("accesso.html", base=self.base_url(request), username="", error="")
        return self._board_page(request, found[1])

    async def board_login(self, request: web.Request) -> web.StreamResponse:
        if not self.room.classroom:
            return self.not_found(request, "La bacheca del formatore c'è solo con «serve --aula N».")
        form = await request.post()
        username = str(form.get("utente", ""))[:MAX_FIELD].strip()
        password = str(form.get("password", ""))[:128]
        if not username or not password:
            return self.render("accesso.html", status=400, base=self.base_url(request), username=username,
                               error="Scrivi nome utente e password dell'operatore.")
        try:
            operator = await asyncio.to_thread(auth.operator_login, self.ctx, username, password)
        except auth.LoginError as error:
            return self.render("accesso.html", status=401, base=self.base_url(request), username=username,
                               error=error.message)
        token = secrets.token_urlsafe(32)
        self.sessions[token] = BoardSession(operator.username)
        response = web.HTTPSeeOther(f"{self.base_url(request)}/formatore")
        response.set_cookie(BOARD_COOKIE, token, max_age=BOARD_SESSION_SECONDS, path="/formatore",
                            httponly=True, samesite="Strict", secure=self.base_url(request).startswith("https:"))
        raise response

    async def board_logout(self, request: web.Request) -> web.StreamResponse:
        found = self._board_session(request)
        if found is not None:
            form = await request.post()
            if hmac.compare_digest(str(form.get("token", "")).encode(), found[1].csrf.encode()):
                self.sessions.pop(found[0], None)
        response = web.HTTPSeeOther(f"{self.base_url(request)}/formatore")
        response.del_cookie(BOARD_COOKIE, path="/formatore")
        raise response

    async def board_status(self, request: web.Request) -> web.StreamResponse:
        if self._board_session(request) is None:
            raise web.HTTPUnauthorized(text="Accedi alla bacheca.")
        return web.json_response({"posti": self.room.snapshot()}, headers={"Cache-Control": "no-store"})

    def _back(self, request: web.Request, number: int | None = None) -> web.HTTPSeeOther:
        return web.HTTPSeeOther(f"{self.base_url(request)}/formatore" + (f"#posto-{number}" if number else ""))

    async def _audit(self, kind: str, actor: str, subject: str, **details: object) -> None:
        def record() -> None:
            with self.ctx.db.transaction() as session:
                audit.record(self.ctx, session, kind, actor=actor, subject=subject, **details)

        try:
            await asyncio.to_thread(record)
        except Exception:  # noqa: BLE001 - the action is done; its trace is logged
            log.exception("classroom audit %s", kind)

    async def board_reset(self, request: web.Request) -> web.StreamResponse:
        board, _form = await self._checked_form(request)
        seat = self._seat(request)
        if seat is None:
            return self.not_found(request, self._no_seat_message(request))
        await self.room.reset(seat)
        await self._audit("aula_ripristino", board.username, f"posto {seat.number}")
        board.notice = ("ok", f"Posto {seat.number} ripristinato: dati demo di nuovo, console su 1A.")
        raise self._back(request, seat.number)

    async def board_reset_all(self, request: web.Request) -> web.StreamResponse:
        board, _form = await self._checked_form(request)
        await asyncio.gather(*(self.room.reset(seat) for seat in self.room.seats))
        await self._audit("aula_ripristino", board.username, "tutti i posti")
        board.notice = ("ok", f"Tutti i {len(self.room.seats)} posti ripristinati.")
        raise self._back(request)

    async def board_start(self, request: web.Request) -> web.StreamResponse:
        board, form = await self._checked_form(request)
        seat = self._seat(request)
        if seat is None:
            return self.not_found(request, self._no_seat_message(request))
        persona_name = str(form.get("persona", ""))[:MAX_FIELD]
        step_text = str(form.get("passo", ""))[:40]
        try:
            if not persona_name or not step_text:
                raise start_at.StartError("scegli una persona e un passo")
            persona = start_at.find(start_at.load_personas(), persona_name)
            step = start_at.resolve_step(step_text)
        except start_at.StartError as error:
            board.notice = ("errore", f"Posto {seat.number}: {error.message}")
            raise self._back(request, seat.number) from None
        await self.room.start_as(seat, persona.persona, step)
        await self._audit("aula_avvio", board.username, f"posto {seat.number}", persona=persona.persona, passo=step)
        board.notice = ("ok", f"Posto {seat.number}: {persona.persona} al passo {step}.")
        raise self._back(request, seat.number)


def serve(server: ClassroomServer, host: str, port: int, *, ready: Any = None) -> None:  # noqa: ANN401
    """Run until Ctrl+C or SIGTERM; `ready(urls)` is called once listening."""
    app = server.make_app()

    async def announce(_app: web.Application) -> None:
        if ready is not None:
            ready()

    app.on_startup.append(announce)
    with contextlib.suppress(KeyboardInterrupt):
        web.run_app(app, host=host, port=port, access_log=None, print=None, handle_signals=True)
