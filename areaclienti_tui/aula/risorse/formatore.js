// The trainer's board, live: every 2 seconds the seats' state is read from
// /formatore/stato and written into the table's cells as text (never as HTML:
// the values come from browsers and seats).
(function () {
  "use strict";
  const main = document.querySelector("main[data-stato]");
  if (!main) { return; }
  const url = main.dataset.stato;
  const stamp = document.getElementById("aggiornato");

  function cells(seat) {
    const dash = "\u2014";
    let console = seat.stato + (seat.memoria_mib ? " \u00b7 " + seat.memoria_mib + " MiB" : "");
    if (seat.avvio) { console += " \u00b7 " + seat.avvio.persona + " \u2192 " + seat.avvio.passo; }
    return {
      collegato: seat.collegato ? "\u25cf s\u00ec, " + seat.da + " dalle " + seat.dalle : "\u25cb no",
      stato: console,
      passo: seat.passo ? seat.passo.codice + " \u00b7 " + seat.passo.titolo : dash,
      esito: seat.esito ? seat.esito.testo : dash,
      messaggio: seat.messaggio ? seat.messaggio.canale + " a " + seat.messaggio.a : dash,
    };
  }

  async function refresh() {
    try {
      const response = await fetch(url, {credentials: "same-origin", cache: "no-store"});
      if (response.status === 401) { window.location.reload(); return; }
      if (!response.ok) { throw new Error(String(response.status)); }
      const data = await response.json();
      for (const seat of data.posti) {
        const row = document.getElementById("posto-" + seat.posto);
        if (!row) { continue; }
        const values = cells(seat);
        for (const [name, text] of Object.entries(values)) {
          const cell = row.querySelector('[data-campo="' + name + '"]');
          if (cell && cell.textContent !== text) { cell.textContent = text; }
        }
      }
      stamp.textContent = "Aggiornato alle " + new Date().toLocaleTimeString("it-IT") + ".";
    } catch (error) {
      stamp.textContent = "Il server non risponde: riprovo.";
    }
  }

  refresh();
  setInterval(refresh, 2000);
})();
