/* verify.js - /p/SLUG/verify: checks a signer's receipt in the browser.
   The receipt's secret never leaves the page: the browser hashes it
   (WebCrypto SHA-256), reads the entry at the receipt's index from the
   petition's log, checks that it carries that hash, and checks the
   entry's audit path (RFC 9162 2.1.3.2) against the newest signed tree
   head; the head's Ed25519 signature is checked too where the browser
   has Ed25519. No outside scripts, no requests but to this site's log API.

   DOM contract (the page template provides):
     form#verify-form          the form; data-slug="SLUG" (required)
       textarea#receipt        the receipt's JSON, pasted
       input#receipt-file      type=file (optional): a saved receipt,
                               read into #receipt and checked at once
     #verify-result            where the verdict goes (role=status); gets
                               data-state="busy" | "ok" | "fail", and its
                               text from the attribute data-msg-KEY, KEY
                               one of: busy ok unsigned not-receipt
                               other-petition other-site not-yet not-yours
                               bad-proof bad-signature network unsupported
                               (translated by the page). A message may hold
                               {index} {size} {time} {petition} {site};
                               English is the fallback.
   The log API is found beside the page: the path before "/p/". */
(function () {
  "use strict";

  var MSG = {
    busy: "Checking…",
    ok: "Your signature is entry {index} of the {size} in this petition's log, in the tree head signed {time}.",
    unsigned: "Your signature is entry {index} of the {size} in this petition's log (this browser cannot check the tree head's signature).",
    not_receipt: "This is not a receipt: paste or load the whole file you saved.",
    other_petition: "This receipt is for another petition ({petition}).",
    other_site: "This receipt is from another site ({site}).",
    not_yet: "Your signature is not in a signed tree head yet. Try again in a few seconds.",
    not_yours: "The log's entry at your receipt's position is not your signature.",
    bad_proof: "The log's proof does not lead to its signed tree head: the log is not consistent.",
    bad_signature: "The tree head's signature does not verify with the site's log key.",
    network: "The log could not be read. Try again later.",
    unsupported: "This browser cannot check receipts."
  };

  var B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

  /* Standard base64 with padding, strictly; null when malformed. */
  function unb64(s) {
    if (typeof s !== "string" || !B64.test(s)) { return null; }
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out;
  }

  function b64(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) { s += String.fromCharCode(bytes[i]); }
    return btoa(s);
  }

  function hash(bytes, n) {
    var h = unb64(bytes);
    return h && h.length === n ? h : null;
  }

  function concat(a, b, c) {
    var out = new Uint8Array(a.length + b.length + (c ? c.length : 0));
    out.set(a, 0);
    out.set(b, a.length);
    if (c) { out.set(c, a.length + b.length); }
    return out;
  }

  function same(a, b) {
    if (a.length !== b.length) { return false; }
    for (var i = 0; i < a.length; i++) { if (a[i] !== b[i]) { return false; } }
    return true;
  }

  function sha256(subtle, bytes) {
    return subtle.digest("SHA-256", bytes).then(function (d) { return new Uint8Array(d); });
  }

  /* A signature leaf: version 0, type 0, timestamp u64, commitment [32],
     country [2]. Null for anything else. */
  function parseLeaf(b) {
    if (!b || b.length !== 44 || b[0] !== 0 || b[1] !== 0) { return null; }
    var ms = 0;
    for (var i = 2; i < 10; i++) { ms = ms * 256 + b[i]; }
    return {
      timestamp: ms,
      commitment: b.subarray(10, 42),
      country: String.fromCharCode(b[42], b[43])
    };
  }

  /* RFC 9162 2.1.3.2, in BigInt so that no size is cut to 32 bits. */
  function verifyInclusion(subtle, index, size, leafHash, path, root) {
    var fn = BigInt(index), sn = BigInt(size) - 1n, i = 0, r = leafHash;
    if (fn > sn) { return Promise.resolve(false); }
    function step() {
      if (i === path.length) { return sn === 0n && same(r, root); }
      if (sn === 0n) { return false; }
      var p = path[i++], pair;
      if (fn % 2n === 1n || fn === sn) {
        pair = concat(new Uint8Array([1]), p, r);
        if (fn % 2n === 0n) {
          while (fn % 2n === 0n && fn !== 0n) { fn /= 2n; sn /= 2n; }
        }
      } else {
        pair = concat(new Uint8Array([1]), r, p);
      }
      fn /= 2n;
      sn /= 2n;
      return sha256(subtle, pair).then(function (h) { r = h; return step(); });
    }
    return Promise.resolve(step());
  }

  /* The 50-byte RFC 6962 TreeHeadSignature input. */
  function sthInput(sth, root) {
    var b = new Uint8Array(50), t = BigInt(sth.timestamp), n = BigInt(sth.tree_size);
    b[0] = 0;
    b[1] = 1;
    for (var i = 9; i >= 2; i--) { b[i] = Number(t & 255n); t >>= 8n; }
    for (var j = 17; j >= 10; j--) { b[j] = Number(n & 255n); n >>= 8n; }
    b.set(root, 18);
    return b;
  }

  /* RFC 8032's first test key: a browser that cannot import it has no
     Ed25519, and one that can must import the site's key too. */
  var PROBE = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

  /* True or false when the browser can check Ed25519, null when not. */
  function verifySignature(subtle, key, sth, root, sig) {
    var alg = { name: "Ed25519" };
    return subtle.importKey("raw", unb64(PROBE), alg, false, ["verify"]).then(function () {
      return subtle.importKey("raw", key, alg, false, ["verify"]).then(function (k) {
        return subtle.verify(alg, k, sig, sthInput(sth, root));
      }, function () { return false; });
    }, function () { return null; });
  }

  function wholeNumber(v) {
    return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
  }

  function fail(key, vars) { return { state: "fail", key: key, vars: vars || {} }; }

  /* Checks a receipt's text. o: { slug, site (this site's address, to
     compare with the receipt's; optional), get (path -> Promise of the
     answer's JSON, rejected on any failure), subtle }. Resolves to
     { state: "ok" | "fail", key (a message key), vars }. */
  function checkReceipt(text, o) {
    var r, secret, slug, index, sth, root, leaf, input, verdict;
    try { r = JSON.parse(text); } catch (e) { r = null; }
    if (!r || typeof r !== "object" || typeof r.site !== "string" ||
        typeof r.petition !== "string" || !/^[a-z0-9-]{1,80}$/.test(r.petition) ||
        !wholeNumber(r.leaf_index) || !(secret = hash(r.secret, 32))) {
      return Promise.resolve(fail("not_receipt"));
    }
    if (r.petition !== o.slug) {
      return Promise.resolve(fail("other_petition", { petition: r.petition }));
    }
    if (o.site && r.site.replace(/\/+$/, "") !== o.site.replace(/\/+$/, "")) {
      return Promise.resolve(fail("other_site", { site: r.site }));
    }
    slug = "/p/" + r.petition + "/log/";
    index = r.leaf_index;
    var key, id, sig;
    return Promise.all([o.get("/log/key"), o.get(slug + "get-sth")]).then(function (a) {
      key = hash(a[0].key, 32);
      id = hash(a[0].key_id, 32);
      sig = hash(a[1].tree_head_signature, 64);
      sth = a[1];
      root = hash(sth.sha256_root_hash, 32);
      if (!key || !id || !sig || !root || !wholeNumber(sth.tree_size) ||
          !wholeNumber(sth.timestamp)) {
        throw new Error("malformed head");
      }
      return sha256(o.subtle, key);
    }).then(function (h) {
      if (!same(h, id)) { throw fail("bad_signature"); }
      return verifySignature(o.subtle, key, sth, root, sig);
    }).then(function (signed) {
      if (signed === false) { throw fail("bad_signature"); }
      verdict = signed === null ? "unsigned" : "ok";
      if (sth.tree_size <= index) { throw fail("not_yet"); }
      return o.get(slug + "get-entries?start=" + index + "&end=" + index);
    }).then(function (e) {
      input = e && Array.isArray(e.entries) && e.entries.length === 1 ?
        unb64(e.entries[0].leaf_input) : null;
      leaf = parseLeaf(input);
      return Promise.all([sha256(o.subtle, secret), sha256(o.subtle, concat(new Uint8Array([0]), input || new Uint8Array(0)))]);
    }).then(function (h) {
      if (!leaf || !same(h[0], leaf.commitment)) { throw fail("not_yours"); }
      return o.get(slug + "get-proof-by-hash?hash=" + encodeURIComponent(b64(h[1])) +
        "&tree_size=" + sth.tree_size).then(function (p) {
        var path = Array.isArray(p.audit_path) && p.audit_path.length <= 65 ?
          p.audit_path.map(function (x) { return hash(x, 32); }) : [null];
        if (p.leaf_index !== index || path.indexOf(null) !== -1) { throw fail("bad_proof"); }
        return verifyInclusion(o.subtle, index, sth.tree_size, h[1], path, root);
      });
    }).then(function (ok) {
      if (!ok) { return fail("bad_proof"); }
      return {
        state: "ok",
        key: verdict,
        vars: { index: index, size: sth.tree_size, time: new Date(sth.timestamp).toISOString() }
      };
    }, function (e) {
      return e && e.state ? e : fail("network");
    });
  }

  var api = { unb64: unb64, b64: b64, parseLeaf: parseLeaf, verifyInclusion: verifyInclusion,
    sthInput: sthInput, checkReceipt: checkReceipt };
  if (typeof module === "object" && module.exports) {
    module.exports = api;
    return;
  }

  var form = document.getElementById("verify-form");
  var area = document.getElementById("receipt");
  var file = document.getElementById("receipt-file");
  var out = document.getElementById("verify-result");
  if (!form || !area || !out) { return; }
  var base = location.pathname.split("/p/")[0];

  function say(state, key, vars) {
    var m = out.getAttribute("data-msg-" + key.replace(/_/g, "-")) || MSG[key];
    out.setAttribute("data-state", state);
    out.textContent = m.replace(/\{(\w+)\}/g, function (all, k) {
      return vars && vars[k] !== undefined ? String(vars[k]) : all;
    });
  }

  if (!window.crypto || !crypto.subtle || !window.fetch || typeof BigInt !== "function") {
    say("fail", "unsupported");
    return;
  }

  function get(path) {
    return fetch(base + path, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      });
  }

  function check() {
    say("busy", "busy");
    checkReceipt(area.value, {
      slug: form.getAttribute("data-slug"),
      site: location.origin + base,
      get: get,
      subtle: crypto.subtle
    }).then(function (v) { say(v.state, v.key, v.vars); });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    check();
  });
  if (file) {
    file.addEventListener("change", function () {
      var f = file.files && file.files[0];
      if (!f) { return; }
      if (f.size > 65536) { say("fail", "not_receipt"); return; }
      f.text().then(function (t) {
        area.value = t;
        check();
      });
    });
  }
})();
