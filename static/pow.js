/* pow.js - solves the sign form's proof of work (hashcash over SHA-256) in
 * the background, so a person never waits for it; without JavaScript the
 * form still works and the signature counts once confirmed by email. */
(function () {
  "use strict";
  var ch = document.querySelector('input[name="pow"]');
  var out = document.querySelector('input[name="pow_nonce"]');
  if (!ch || !out || !ch.value || !window.crypto || !crypto.subtle || !window.TextEncoder) {
    return;
  }
  var bits = parseInt(ch.value.split(".")[2], 10) || 0;
  var enc = new TextEncoder();
  var next = 0;
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

  function step() {
    var batch = [];
    for (var j = 0; j < 128; j++) {
      batch.push(crypto.subtle.digest("SHA-256", enc.encode(ch.value + ":" + (next + j))));
    }
    Promise.all(batch).then(function (hs) {
      for (var j = 0; j < hs.length; j++) {
        if (zeros(new Uint8Array(hs[j])) >= bits) {
          out.value = String(next + j);
          done = true;
          if (waiting) { waiting(); }
          return;
        }
      }
      next += hs.length;
      setTimeout(step, 0);
    });
  }

  var form = ch.form;
  if (form) {
    form.addEventListener("submit", function (e) {
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
  }
  step();
})();
