// verify.test.js - static/verify.js, the browser's receipt check, against
// a log the C code made (tests/data/translog/verify-vectors.json, kept
// equal to what tests/unit/test_audit.c makes): the same leaf hashes, tree
// head input, audit paths and verdicts, with node's WebCrypto.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const verify = require('../../static/verify.js');

const V = JSON.parse(fs.readFileSync(
  path.join(__dirname, '..', 'data', 'translog', 'verify-vectors.json'), 'utf8'));
const subtle = globalThis.crypto.subtle;

function clone(o) { return JSON.parse(JSON.stringify(o)); }

// The site's log API answered from the vectors; change() may spoil an
// answer on its way out.
function server(change) {
  return function get(p) {
    const u = new URL(p, 'http://site.invalid');
    const base = '/p/' + V.slug + '/log/';
    let answer;
    if (u.pathname === '/log/key') {
      answer = clone(V.key);
    } else if (u.pathname === base + 'get-sth') {
      answer = clone(V.sth);
    } else if (u.pathname === base + 'get-entries') {
      const a = Number(u.searchParams.get('start'));
      const b = Number(u.searchParams.get('end'));
      answer = { entries: V.entries.slice(a, b + 1).map((x) => ({ leaf_input: x })) };
    } else if (u.pathname === base + 'get-proof-by-hash') {
      assert.equal(Number(u.searchParams.get('tree_size')), V.sth.tree_size);
      const pr = V.proofs[u.searchParams.get('hash')];
      if (!pr) { return Promise.reject(new Error('HTTP 404')); }
      answer = clone(pr);
    } else {
      return Promise.reject(new Error('HTTP 404'));
    }
    const out = change ? change(u.pathname, answer) : undefined;
    return Promise.resolve(out === undefined ? answer : out);
  };
}

function check(receipt, change, site) {
  return verify.checkReceipt(JSON.stringify(receipt), {
    slug: V.slug, site: site || V.site, get: server(change), subtle,
  });
}

async function sha256(bytes) {
  return new Uint8Array(await subtle.digest('SHA-256', bytes));
}

test('base64 is standard, padded and strict', () => {
  assert.deepEqual(Array.from(verify.unb64('Zm9vYg==')), [102, 111, 111, 98]);
  assert.equal(verify.b64(new Uint8Array([251, 251, 251])), '+/v7');
  for (const bad of ['A', 'AA=', 'Zg', 'Zg=', ' Zg==', 'Zg==\n', 'Zm9v-_==', 'AA==AA==', 5, null]) {
    assert.equal(verify.unb64(bad), null, String(bad));
  }
  assert.equal(verify.unb64('').length, 0);
});

test('leaf hashes are the C code\'s', async () => {
  assert.ok(V.entries.length > 40);
  for (let i = 0; i < V.entries.length; i++) {
    const input = verify.unb64(V.entries[i]);
    const h = await sha256(new Uint8Array([0, ...input]));
    assert.equal(verify.b64(h), V.leaf_hashes[i], 'entry ' + i);
    const leaf = verify.parseLeaf(input);
    // Signature leaves are 44 bytes, removals 19: only the first parse.
    assert.equal(leaf !== null, input.length === 44, 'entry ' + i);
    if (leaf) {
      assert.match(leaf.country, /^([A-Z]{2}|--)$/);
      assert.ok(leaf.timestamp > 1.7e12 && leaf.timestamp < 1.9e12);
    }
  }
  const sig = verify.unb64(V.entries[0]);
  sig[0] = 1;
  assert.equal(verify.parseLeaf(sig), null);
  assert.equal(verify.parseLeaf(verify.unb64(V.entries[0]).subarray(0, 43)), null);
});

test('the tree head signature input is the C code\'s', () => {
  const root = verify.unb64(V.sth.sha256_root_hash);
  assert.equal(verify.b64(verify.sthInput(V.sth, root)), V.sth_input);
});

test('every audit path verifies, and no tampered one', async () => {
  const root = verify.unb64(V.sth.sha256_root_hash);
  const n = V.sth.tree_size;
  let count = 0;
  for (const [h, p] of Object.entries(V.proofs)) {
    const leaf = verify.unb64(h);
    const path = p.audit_path.map(verify.unb64);
    const i = p.leaf_index;
    assert.equal(await verify.verifyInclusion(subtle, i, n, leaf, path, root), true, 'leaf ' + i);
    for (const j of [i - 1, i + 1, i ^ 1, n, n + 5]) {
      if (j !== i && j >= 0) {
        assert.equal(await verify.verifyInclusion(subtle, j, n, leaf, path, root), false);
      }
    }
    assert.equal(await verify.verifyInclusion(subtle, i, n, leaf, path.slice(1), root), false);
    assert.equal(await verify.verifyInclusion(subtle, i, n, leaf, path.concat([root]), root), false);
    for (let k = 0; k < path.length; k++) {
      for (let b = 0; b < 256; b += 37) {
        const bad = path.map((x) => x.slice());
        bad[k][b >> 3] ^= 1 << (b & 7);
        assert.equal(await verify.verifyInclusion(subtle, i, n, leaf, bad, root), false);
      }
    }
    count++;
  }
  assert.equal(count, n);
});

test('receipts get the verdicts the C code expects', async () => {
  for (const c of V.receipts) {
    const v = await check(c.receipt);
    assert.equal(v.key, c.want, JSON.stringify(c.receipt));
    assert.equal(v.state, c.want === 'ok' ? 'ok' : 'fail');
    if (c.want === 'ok') {
      assert.equal(v.vars.index, c.receipt.leaf_index);
      assert.equal(v.vars.size, V.sth.tree_size);
      assert.equal(v.vars.time, new Date(V.sth.timestamp).toISOString());
    }
  }
});

test('a site that contradicts itself is caught', async () => {
  const good = V.receipts.find((c) => c.want === 'ok').receipt;
  const flip = (b64) => {
    const b = verify.unb64(b64);
    b[3] ^= 4;
    return verify.b64(b);
  };
  const cases = [
    ['bad_signature', (p, a) => { if (p.endsWith('get-sth')) { a.tree_head_signature = flip(a.tree_head_signature); } }],
    ['bad_signature', (p, a) => { if (p.endsWith('get-sth')) { a.timestamp += 1; } }],
    ['bad_signature', (p, a) => { if (p === '/log/key') { a.key = flip(a.key); } }],
    ['bad_signature', (p, a) => { if (p === '/log/key') { a.key_id = flip(a.key_id); } }],
    ['bad_signature', (p, a) => {
      if (p === '/log/key') { a.key = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='; a.key_id = 'Zmh6rfhivXdsj8GLjp+OIAiXFIVu4jOzkCpZHQ1fKSU='; }
    }],
    ['bad_proof', (p, a) => { if (p.endsWith('get-proof-by-hash')) { a.audit_path[0] = flip(a.audit_path[0]); } }],
    ['bad_proof', (p, a) => { if (p.endsWith('get-proof-by-hash')) { a.leaf_index += 1; } }],
    ['bad_proof', (p, a) => { if (p.endsWith('get-proof-by-hash')) { a.audit_path.push(a.audit_path[0]); } }],
    ['bad_proof', (p, a) => { if (p.endsWith('get-proof-by-hash')) { a.audit_path[0] = 'AAAA'; } }],
    ['not_yours', (p, a) => { if (p.endsWith('get-entries')) { a.entries[0].leaf_input = V.entries[0]; } }],
    ['not_yours', (p, a) => { if (p.endsWith('get-entries')) { a.entries = []; } }],
    ['not_yours', (p, a) => { if (p.endsWith('get-entries')) { a.entries[0].leaf_input = '***'; } }],
    ['network', (p, a) => { if (p.endsWith('get-sth')) { a.sha256_root_hash = 'short=='; } }],
    ['network', (p, a) => { if (p.endsWith('get-sth')) { a.tree_size = '45'; } }],
    ['network', (p) => { if (p.endsWith('get-proof-by-hash')) { return null; } }],
  ];
  for (const [want, change] of cases) {
    const v = await check(good, change);
    assert.equal(v.key, want, change.toString());
    assert.equal(v.state, 'fail');
  }
  const gone = await verify.checkReceipt(JSON.stringify(good), {
    slug: V.slug, site: V.site, subtle, get: () => Promise.reject(new Error('offline')),
  });
  assert.equal(gone.key, 'network');
  assert.equal((await check(good, null, 'https://elsewhere.example')).key, 'other_site');
  assert.equal((await check(good, null, V.site + '/')).key, 'ok');
  for (const text of ['', 'null', '[]', '{"site":1}', '{]']) {
    const v = await verify.checkReceipt(text, { slug: V.slug, get: server(), subtle });
    assert.equal(v.key, 'not_receipt', text);
  }
});
