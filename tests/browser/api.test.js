// api.test.js - the open API against its OpenAPI 3.1 document: the document
// (static/openapi.json, served at /api/v1/openapi.json) validated by
// @seriousme/openapi-schema-validator, then every endpoint's answers, error
// answers included, checked with ajv against the schema, status and
// headers the document gives them.
'use strict';

const { describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;
const h = require('./lib/harness');

const { it } = h;
const DOC_PATH = path.join(h.ROOT, 'static', 'openapi.json');

let srv;
let doc;
let ajv;

// The document's object at a local $ref ("#/components/…").
function deref(obj) {
  let o = obj;
  while (o && o.$ref) {
    o = o.$ref.slice(2).split('/').reduce((x, k) => x[k], doc);
  }
  return o;
}

// GETs path (from server s) and checks the answer against the operation at
// api path op: its status is documented, the body matches the schema, the
// documented headers are there with values their schema allows. Returns
// { status, headers, json }.
async function check(p, op, headers = {}, s = srv) {
  const r = await h.fetchRaw(s.url(`/api/v1${p}`), headers);
  const oper = doc.paths[op].get;
  const resp = deref(oper.responses[String(r.status)]);
  assert.ok(resp, `${p}: status ${r.status} is not documented for ${op}`);
  assert.equal(r.headers['access-control-allow-origin'], '*', `${p}: CORS`);
  for (const [name, def] of Object.entries(resp.headers || {})) {
    const value = r.headers[name.toLowerCase()];
    assert.ok(value !== undefined, `${p}: header ${name} missing`);
    const hs = deref(def).schema;
    if (hs && !ajv.validate(hs, value)) {
      assert.fail(`${p}: header ${name}: ${value}: ${ajv.errorsText(ajv.errors)}`);
    }
  }
  let json = null;
  if (resp.content) {
    assert.match(r.headers['content-type'], /^application\/json/, `${p}: content type`);
    json = JSON.parse(r.body.toString('utf8'));
    const schema = resp.content['application/json'].schema;
    const validate = ajv.compile({ $ref: `openapi.json${schema.$ref || ''}`, ...(schema.$ref ? {} : schema) });
    if (!validate(json)) {
      assert.fail(`${p}: answer does not match the document: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(json).slice(0, 500)}`);
    }
  } else {
    assert.equal(r.body.length, 0, `${p}: ${r.status} with a body`);
  }
  return { status: r.status, headers: r.headers, json };
}

describe('open API', { timeout: 600000 }, () => {
  before(async () => {
    srv = await h.startHolos();
    doc = JSON.parse(fs.readFileSync(DOC_PATH, 'utf8'));
    ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    ajv.addSchema(doc, 'openapi.json');
  });
  after(async () => { if (srv) await srv.stop(); });

  it('the OpenAPI document is valid OpenAPI 3.1', async () => {
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const v = new Validator();
    const res = await v.validate(doc);
    assert.ok(res.valid, `invalid: ${JSON.stringify(res.errors, null, 1)}`);
    assert.equal(v.version, '3.1');
    // The server serves that very document.
    const r = await h.fetchRaw(srv.url('/api/v1/openapi.json'));
    assert.equal(r.status, 200);
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.deepEqual(JSON.parse(r.body.toString('utf8')), doc);
  });

  it('lists and searches petitions', async () => {
    let r = await check('/petitions', '/petitions');
    assert.equal(r.status, 200);
    assert.equal(r.json.petitions[0].slug, h.SLUG);
    for (const q of ['?sort=signatures&state=open&lang=en&page=1', '?sort=trending', '?sort=victory', '?sort=waiting',
      '?q=accused', '?q=%22*NEAR(', '?page=99']) {
      r = await check(`/petitions${q}`, '/petitions');
      assert.equal(r.status, 200, q);
    }
    r = await check('/petitions?q=accusations', '/petitions');
    assert.equal(r.json.total, 1);
    // The ETag gives a 304 without a body.
    const first = await check('/petitions', '/petitions');
    r = await check('/petitions', '/petitions', { 'If-None-Match': first.headers.etag });
    assert.equal(r.status, 304);
  });

  it('refuses bad parameters with a JSON error', async () => {
    for (const q of ['?sort=x', '?state=draft', '?lang=xx', '?page=0', '?page=abc', `?q=${'a'.repeat(1100)}`]) {
      const r = await check(`/petitions${q}`, '/petitions');
      assert.equal(r.status, 400, q);
      assert.equal(r.json.error.code, 'bad_request');
    }
    // In the reader's language.
    const r = await check('/petitions?sort=x&lang=ru', '/petitions');
    assert.match(r.json.error.message, /[а-я]/);
  });

  it('gives one petition', async () => {
    const r = await check(`/petitions/${h.SLUG}`, '/petitions/{slug}');
    assert.equal(r.status, 200);
    assert.equal(r.json.slug, h.SLUG);
    assert.ok(r.json.body_html.includes('<p>'));
    assert.ok(r.headers['last-modified']);
    assert.ok(r.json.addressees.some((a) => a.name === 'Council of Europe'));
    const again = await check(`/petitions/${h.SLUG}`, '/petitions/{slug}', { 'If-None-Match': r.headers.etag });
    assert.equal(again.status, 304);
    const missing = await check('/petitions/no-such-petition', '/petitions/{slug}');
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.code, 'not_found');
  });

  it('gives the public signers', async () => {
    let r = await check(`/petitions/${h.SLUG}/signatures`, '/petitions/{slug}/signatures');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.signatures, []);
    r = await check(`/petitions/${h.SLUG}/signatures?after=5`, '/petitions/{slug}/signatures');
    assert.equal(r.status, 200);
    for (const q of ['x', '-1', '1e9', '99999999999999999999']) {
      r = await check(`/petitions/${h.SLUG}/signatures?after=${q}`, '/petitions/{slug}/signatures');
      assert.equal(r.status, 400, q);
    }
    r = await check('/petitions/no-such-petition/signatures', '/petitions/{slug}/signatures');
    assert.equal(r.status, 404);
  });

  it('gives the site figures', async () => {
    const r = await check('/stats', '/stats');
    assert.equal(r.status, 200);
    assert.equal(r.json.petitions, 1);
    assert.equal(r.json.open, 1);
  });

  it('answers 429 with Retry-After over the rate limits', async () => {
    // A server with the API's limits on and small: 3 an hour per address.
    const lim = await h.startHolos(['--rate-limit', 'on', '--api-rate-ip', '3/3600']);
    try {
      const ops = [['/stats', '/stats'], ['/petitions', '/petitions'], [`/petitions/${h.SLUG}`, '/petitions/{slug}']];
      for (const [p, op] of ops) {
        const r = await check(p, op, {}, lim);
        assert.equal(r.status, 200, p);
      }
      // Every endpoint refuses from here on, in the reader's language.
      for (const [p, op] of [...ops, [`/petitions/${h.SLUG}/signatures`, '/petitions/{slug}/signatures'],
        ['/openapi.json', '/openapi.json']]) {
        const r = await check(p, op, { 'Accept-Language': 'uk' }, lim);
        assert.equal(r.status, 429, p);
        assert.equal(r.json.error.code, 'rate_limited');
        assert.match(r.json.error.message, /Retry-After/);
        assert.match(r.json.error.message, /[а-яіїєґ]/);
        assert.ok(Number(r.headers['retry-after']) >= 1 && Number(r.headers['retry-after']) <= 3600);
        assert.equal(r.headers['cache-control'], 'no-store');
      }
      // Pages are not the API's limits' business.
      const page = await h.fetchRaw(lim.url(`/p/${h.SLUG}`));
      assert.equal(page.status, 200);
    } finally {
      await lim.stop();
    }
  });

  it('answers /p/SLUG.json errors as JSON', async () => {
    const r = await h.fetchRaw(srv.url('/p/no-such-petition.json'));
    assert.equal(r.status, 404);
    const json = JSON.parse(r.body.toString('utf8'));
    const validate = ajv.compile({ $ref: 'openapi.json#/components/schemas/Error' });
    assert.ok(validate(json), ajv.errorsText(validate.errors));
  });
});
