"""The classroom: `areaclienti-tui serve` in the browser, with seats and the trainer's board.

`process` runs one console in Textual's web-driver protocol, `seats` keeps the
seats of a room (one sandbox each: folder, SQLite database, console process),
`web` is the aiohttp server (console pages, websockets, `/formatore`), `report`
is the status file a seat's console writes for the board, `driver` is the
console-side driver that repaints a reloaded tab. Only `driver` imports textual,
and only inside a seat's console process.
"""
