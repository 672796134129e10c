/* pow.js - solves the sign form's proof of work (hashcash over SHA-256) in
 * the background, so a person never waits for it; without JavaScript the
 * form still works and the signature counts once confirmed by email.
 * The page carries no challenge, so that it is the same bytes for every
 * reader: the first touch of the form asks the server for one
 * (GET /p/SLUG/pow, single-use), and the work starts then. */
(function () {
  "use strict";
  var ch = document.querySelector('input[name="pow"]');
  var out = document.querySelector('input[name="pow_nonce"]');
  var src = ch && ch.getAttribute("data-src");
  if (!ch || !out || !src || !ch.form || !window.fetch || !window.crypto ||
      !crypto.subtle || !window.TextEncoder) {
    return;
  }
  /* The server refuses a challenge older than an hour: ask again after
   * fifty minutes. */
  var MAX_AGE_MS = 50 * 60 * 1000;
  var form = ch.form;
  var enc = new TextEncoder();
  var bits = 0;
  var next = 0;
  var round = 0;
  var fetched = 0;
  var started = false;
  var done = false;
  var waiting = null;

  function zeros(b) {
    var z = 0;
    for (var i = 0; i < b.length; i++) {
      if (b[i] === 0) { z += 8; continue; }
      for (var m = 128; m && !(b[i] & m); m >>= 1) { z++; }
      break;
    }
    return z;
  }

  /* Gives up on the proof: the form goes without one. */
  function fail() {
    done = true;
    if (waiting) { waiting(); }
  }

  function step(mine) {
    if (mine !== round) { return; } /* a newer challenge took over */
    var batch = [];
    for (var j = 0; j < 128; j++) {
      batch.push(crypto.subtle.digest("SHA-256", enc.encode(ch.value + ":" + (next + j))));
    }
    Promise.all(batch).then(function (hs) {
      if (mine !== round) { return; }
      for (var j = 0; j < hs.length; j++) {
        if (zeros(new Uint8Array(hs[j])) >= bits) {
          out.value = String(next + j);
          done = true;
          if (waiting) { waiting(); }
          return;
        }
      }
      next += hs.length;
      setTimeout(function () { step(mine); }, 0);
    }, fail);
  }

  function start() {
    if (started && Date.now() - fetched < MAX_AGE_MS) { return; }
    started = true;
    done = false;
    round++;
    var mine = round;
    ch.value = "";
    out.value = "";
    fetch(src, { cache: "no-store", credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (t) {
        if (mine !== round) { return; }
        t = t.trim();
        /* ID.TIME.BITS.RANDOM.MAC, as pow.c writes it */
        if (!/^[0-9]+\.[0-9]+\.[0-9]+\.[0-9a-f]+\.[A-Za-z0-9_-]+$/.test(t)) {
          fail();
          return;
        }
        fetched = Date.now();
        ch.value = t;
        bits = parseInt(t.split(".")[2], 10) || 0;
        next = 0;
        step(mine);
      })
      .catch(fail);
  }

  form.addEventListener("focusin", start);
  form.addEventListener("pointerdown", start);
  form.addEventListener("submit", function (e) {
    start();
    if (done) { return; }
    /* A person is rarely faster than the proof; if so, wait a little,
     * then send anyway (the signature then waits for email). */
    e.preventDefault();
    var sent = false;
    var send = function () {
      if (sent) { return; }
      sent = true;
      HTMLFormElement.prototype.submit.call(form);
    };
    waiting = send;
    setTimeout(send, 4000);
  });
})();
