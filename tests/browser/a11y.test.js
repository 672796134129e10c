// a11y.test.js - axe-core on every kind of page in every language, and the
// checks axe cannot make alone: labels, announced errors, visible focus.
'use strict';

const { describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const h = require('./lib/harness');

const { it } = h;

const { PHONE, DESKTOP, where } = h;
const LANGS = ['en', 'ru', 'uk'];

let srv;
let smtp;
let token; // a real, unconfirmed /c/TOKEN path

// Submits the empty sign form: the 422 page with every required field in error.
async function badSubmission(page, lang) {
  await page.goto(srv.petition(lang));
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/sign')),
    page.waitForURL(/\/sign$/, { waitUntil: 'load' }),
    page.click('#sign button[type=submit]'),
  ]);
  return resp.status();
}

const PAGES = {
  petition: { open: (page, lang) => page.goto(srv.petition(lang)), status: 200 },
  'thank-you': { open: (page, lang) => page.goto(srv.url(`/p/${h.SLUG}/thanks?state=pending&lang=${lang}`)), status: 200 },
  'thank-you confirmed': { open: (page, lang) => page.goto(srv.url(`/p/${h.SLUG}/thanks?state=confirmed&lang=${lang}`)), status: 200 },
  confirmation: { open: (page, lang) => page.goto(srv.url(`${token}?lang=${lang}`)), status: 200 },
  'confirmation, unknown link': { open: (page, lang) => page.goto(srv.url(`/c/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA?lang=${lang}`)), status: 404 },
  'error 404': { open: (page, lang) => page.goto(srv.url(`/p/no-such-petition?lang=${lang}`)), status: 404 },
  'error 422': { open: (page, lang) => badSubmission(page, lang), status: 422 },
  home: { open: (page, lang) => page.goto(srv.url(`/?lang=${lang}`)), status: 200 },
  search: { open: (page, lang) => page.goto(srv.url(`/search?q=prisoners+accused&lang=${lang}`)), status: 200 },
  'search, nothing found': { open: (page, lang) => page.goto(srv.url(`/search?q=zzzqqq&lang=${lang}`)), status: 200 },
  'search, refused': { open: (page, lang) => page.goto(srv.url(`/search?q=x&page=0&lang=${lang}`)), status: 400 },
  'all petitions': { open: (page, lang) => page.goto(srv.url(`/petitions?sort=signatures&lang=${lang}`)), status: 200 },
  login: { open: (page, lang) => page.goto(srv.url(`/login?lang=${lang}`)), status: 200 },
  'login, wrong password': { open: (page, lang) => badLogin(page, lang), status: 422 },
  moderation: { open: (page, lang) => asModerator(page, `/admin?lang=${lang}`), status: 200 },
  'moderation of a petition': { open: (page, lang) => asModerator(page, `/admin/p/${h.SLUG}?lang=${lang}`), status: 200 },
  'sign-up': { open: (page, lang) => page.goto(srv.url(`/signup?lang=${lang}`)), status: 200 },
  'password reset': { open: (page, lang) => page.goto(srv.url(`/reset?lang=${lang}`)), status: 200 },
  'start a petition': { open: (page, lang) => asModerator(page, `/start?lang=${lang}`), status: 200 },
  'your petitions': { open: (page, lang) => asModerator(page, `/me?lang=${lang}`), status: 200 },
  "starter's dashboard": { open: (page, lang) => asModerator(page, `/me/p/${h.SLUG}?lang=${lang}`), status: 200 },
  // Notice and action (docs/report.md): the form for a petition and for a
  // comment, its errors, its thanks (each files a report, for the queue
  // below), a comment that cannot be reported, the moderators' queue, a
  // decision refused and a decision made.
  report: { open: (page, lang) => page.goto(srv.url(`/p/${h.SLUG}/report?lang=${lang}`)), status: 200 },
  'report of a comment': { open: (page, lang) => page.goto(srv.url(`/p/${h.SLUG}/report?comment=${commentId}&lang=${lang}`)), status: 200 },
  'report, no reason': { open: (page, lang) => sendReport(page, lang, '', null), status: 422 },
  'report, sent': { open: (page, lang) => sendReport(page, lang, '', 'spam'), status: 200 },
  'report of a comment, sent': { open: (page, lang) => sendReport(page, lang, `comment=${commentId}&`, 'hate'), status: 200 },
  'report of a comment not shown': { open: (page, lang) => page.goto(srv.url(`/p/${h.SLUG}/report?comment=%FF&lang=${lang}`)), status: 404 },
  'reports queue': { open: (page, lang) => openQueue(page, lang), status: 200 },
  'reports queue, decision refused': { open: (page, lang) => refusedDecision(page, lang), status: 422 },
  'reports queue, decided': { open: (page, lang) => asModerator(page, `/admin/reports?done=hide&lang=${lang}`), status: 200 },
};

// The signature whose comment is reported (made in before()).
let commentId;

// Fills the report form (query: "comment=ID&" or ""; reason: a code, or
// null for none) and sends it: the 422 page, or the thanks after the 303.
async function sendReport(page, lang, query, reason) {
  await page.goto(srv.url(`/p/${h.SLUG}/report?${query}lang=${lang}`));
  if (reason) await page.check(`#reason-${reason}`);
  await page.fill('#note', 'A note');
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/report') && r.request().method() === 'POST'),
    page.click('form[action$="/report"] button[type=submit]'),
  ]);
  await page.waitForLoadState('load');
  if (resp.status() !== 303) return resp.status();
  await page.waitForURL(/sent=1/);
  return 200;
}

// The queue, with the reports sent above: a petition's and a comment's.
async function openQueue(page, lang) {
  const r = await asModerator(page, `/admin/reports?lang=${lang}`);
  assert.equal(await page.locator('section.report-group').count(), 2, 'two targets in the queue');
  // Its tables fit a phone (a wider one left cells axe could not check).
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal overflow');
  return r;
}

// Hiding the petition without choosing its reason: the queue again, 422,
// with the reason said.
async function refusedDecision(page, lang) {
  await openQueue(page, lang);
  const form = page.locator('form:has(select[name=reason])');
  await form.locator('input[name=outcome][value=hide]').check();
  await form.locator('textarea[name=statement]').fill('A statement');
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/admin/reports') && r.request().method() === 'POST'),
    form.locator('button[type=submit]').click(),
  ]);
  await page.waitForLoadState('load');
  assert.ok((await page.textContent('.notice')).includes(h.strings(lang).report_need_reason), 'the reason is asked for');
  return resp.status();
}

const MOD_EMAIL = 'moderator@example.org';
const MOD_PASSWORD = 'a long enough password';

// Creates the moderator's account (an admin: it may also open any starter's
// dashboard) with the real command, password on stdin.
function addModerator() {
  const { execFileSync } = require('node:child_process');
  execFileSync(path.join(srv.data, 'hbt-server'), ['user', 'add', '--data', srv.data,
    '--email', MOD_EMAIL, '--role', 'admin'], { input: `${MOD_PASSWORD}\n`, cwd: h.ROOT });
}

async function signIn(page, lang, password) {
  await page.goto(srv.url(`/login?lang=${lang}`));
  await page.fill('#email', MOD_EMAIL);
  await page.fill('#password', password);
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/login') && r.request().method() === 'POST'),
    page.click('button[type=submit]'),
  ]);
  await page.waitForLoadState('load');
  return resp.status();
}

async function badLogin(page, lang) {
  return signIn(page, lang, 'not the password');
}

async function asModerator(page, url) {
  const r = await page.goto(srv.url(url));
  if (new URL(page.url()).pathname === '/login') {
    assert.equal(await signIn(page, 'en', MOD_PASSWORD), 303);
    return page.goto(srv.url(url));
  }
  return r;
}

function describeViolations(list) {
  return list.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`).join('\n  ');
}

// One page per viewport, reused from test to test: contexts are cheap, but
// not free, and every URL here names its language.
const pages = new Map();
async function pageFor(vp) {
  if (!pages.has(vp)) pages.set(vp, await h.newPage({ viewport: vp }));
  return h.use(pages.get(vp));
}

describe('accessibility', () => {
  before(async () => {
    smtp = await h.startSmtp();
    srv = await h.startHolos(['--smtp', smtp.url]);
    addModerator();
    // One real signature, so that the confirmation page shows its button.
    const rec = await h.newPage({ viewport: PHONE });
    await rec.page.goto(srv.petition('en'));
    await rec.page.fill('#first_name', 'Ada');
    await rec.page.fill('#last_name', 'Lovelace');
    await rec.page.fill('#email', 'ada@example.org');
    await rec.page.selectOption('#country', 'GB');
    await Promise.all([rec.page.waitForURL(/thanks/), rec.page.click('#sign button[type=submit]')]);
    await rec.context.close();
    token = new URL((await h.confirmationLink(smtp, srv.base, 1)).link).pathname;
    // A confirmed signer's comment, shown by consent, as the store keeps it.
    commentId = require('node:child_process').execFileSync('sqlite3', [path.join(srv.data, 'holos.db'),
      "INSERT INTO signatures (petition_id, seq, email_hash, country, state, created_at, confirmed_at, comment, public_comment, lang) " +
      `VALUES ((SELECT id FROM petitions WHERE slug = '${h.SLUG}'), 9001, 'report-test', 'UA', 'confirmed', 1, 1, ` +
      "'A comment to report.', 1, 'en'); SELECT last_insert_rowid();"]).toString().trim();
  });
  after(async () => {
    for (const rec of pages.values()) await rec.context.close();
    await h.closeBrowser();
    if (srv) await srv.stop().catch(() => {}); // reported by the last test
    if (smtp) await smtp.stop();
  });

  for (const [name, p] of Object.entries(PAGES)) {
    for (const lang of LANGS) {
      const viewports = name === 'petition' ? [PHONE, DESKTOP] : [PHONE];
      for (const vp of viewports) {
        it(`axe: ${name} (${lang}, ${vp.width}x${vp.height}) has no serious or critical violations`, async () => {
          const rec = await pageFor(vp);
          const seen = rec.foreign.length;
          {
            const resp = await p.open(rec.page, lang);
            const status = typeof resp === 'number' ? resp : resp.status();
            assert.equal(status, p.status, where(`${name} ${lang}`, vp, `HTTP status ${p.status}`));
            assert.equal(await rec.page.getAttribute('html', 'lang'), lang, where(`${name} ${lang}`, vp, 'html lang'));
            const r = await h.axe(rec.page);
            const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
            assert.equal(bad.length, 0, where(`${name} ${lang}`, vp, `axe: serious or critical violations:\n  ${describeViolations(bad)}`));
            // Contrast must actually have been checked, not skipped.
            // axe cannot find what lies behind an SVG <text> (the
            // dashboard's chart labels): their ink is checked against the
            // page in tests/unit/test_chart.c instead.
            const contrastUnsure = r.incomplete.filter((v) => v.id === 'color-contrast')
              .map((v) => ({ ...v, nodes: v.nodes.filter((n) => !n.html.startsWith('<text')) }))
              .filter((v) => v.nodes.length > 0);
            assert.equal(contrastUnsure.length, 0, where(`${name} ${lang}`, vp, `axe: color-contrast could not decide:\n  ${describeViolations(contrastUnsure)}`));
            assert.deepEqual(rec.foreign.slice(seen), [], where(`${name} ${lang}`, vp, 'no request leaves 127.0.0.1'));
          }
        });
      }
    }
  }

  it('every form field has a visible label, and hints and errors are tied to their fields', async () => {
    const rec = await h.newPage({ viewport: PHONE });
    try {
      for (const lang of LANGS) {
        assert.equal(await badSubmission(rec.page, lang), 422);
        const fields = await rec.page.evaluate(() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
          .filter((e) => !e.closest('[aria-hidden="true"]')).map((e) => {
          const label = e.labels && e.labels[0];
          const ids = (e.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
          return {
            id: e.id,
            label: label ? label.textContent.trim() : '',
            // A field shown needs its label shown; one hidden with it
            // (in a closed <details>) is labelled when it opens.
            labelShown: !!label && (label.checkVisibility() || !e.checkVisibility()),
            invalid: e.getAttribute('aria-invalid') === 'true',
            described: ids.map((id) => document.getElementById(id)).filter(Boolean).map((d) => d.textContent.trim()),
            errorText: (document.getElementById(`${e.id}-error`) || { textContent: '' }).textContent.trim(),
          };
        }));
        const ctx = `petition ${lang}, 422`;
        for (const f of fields) {
          assert.ok(f.label && f.labelShown, where(ctx, PHONE, `labels: #${f.id} has a visible <label>`));
          if (f.errorText) {
            assert.ok(f.invalid, where(ctx, PHONE, `errors: #${f.id} with an error is aria-invalid`));
            assert.ok(f.described.includes(f.errorText), where(ctx, PHONE, `errors: #${f.id} is aria-describedby its error "${f.errorText}"`));
          }
        }
        const invalid = fields.filter((f) => f.invalid).map((f) => f.id);
        for (const id of ['first_name', 'last_name', 'email']) {
          assert.ok(invalid.includes(id), where(ctx, PHONE, `errors: the empty required field #${id} is marked aria-invalid`));
        }
        assert.deepEqual(fields.find((f) => f.id === 'comment').described.length >= 1, true, where(ctx, PHONE, 'hints: the comment field is described by its hint'));
        assert.equal(await rec.page.getAttribute('#error-summary', 'role'), 'alert', where(ctx, PHONE, 'errors: the summary is announced (role=alert)'));
        assert.equal(await rec.page.getAttribute('#count', 'aria-live'), 'polite', where(ctx, PHONE, 'the count is a polite live region'));
        assert.equal(await rec.page.getAttribute('#copy-status', 'role'), 'status', where(ctx, PHONE, 'the copy-link result is a status message'));
      }
    } finally {
      await rec.context.close();
    }
  });

  // Every Tab stop must look different when focused: an outline, a ring
  // (box-shadow) or a background change that is not transparent.
  async function focusVisible(page, ctx) {
    const seen = new Set();
    const stops = [];
    // Tab until the stops repeat: from wherever focus starts, past the end
    // (focus leaves the page once) and round again from the top.
    let outside = 0;
    for (let i = 0; i < 100; i++) {
      await page.keyboard.press('Tab');
      const s = await page.evaluate(() => {
        const e = document.activeElement;
        if (!e || e === document.body) return null;
        if (!e.dataset.tabStop) e.dataset.tabStop = String(document.querySelectorAll('[data-tab-stop]').length);
        const cs = getComputedStyle(e);
        return {
          key: e.dataset.tabStop,
          name: `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.getAttribute('href') ? `[href=${e.getAttribute('href')}]` : ''}`,
          focused: { outline: `${cs.outlineStyle} ${cs.outlineWidth} ${cs.outlineColor}`, shadow: cs.boxShadow, bg: cs.backgroundColor },
          ow: parseFloat(cs.outlineWidth), os: cs.outlineStyle, oc: cs.outlineColor,
        };
      });
      if (s === null) {
        if (++outside > 2) break;
        continue;
      }
      if (seen.has(s.key)) break;
      seen.add(s.key);
      stops.push(s);
    }
    assert.ok(stops.length >= 5, where(ctx.page, ctx.viewport, `focus: found the Tab stops (${stops.length})`));
    // The same elements, not focused.
    await page.evaluate(() => document.activeElement && document.activeElement.blur());
    const rest = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('[data-tab-stop]')].map((e) => {
      const cs = getComputedStyle(e);
      return [e.dataset.tabStop, { outline: `${cs.outlineStyle} ${cs.outlineWidth} ${cs.outlineColor}`, shadow: cs.boxShadow, bg: cs.backgroundColor }];
    })));
    const transparent = (c) => /rgba\(.*,\s*0\)$/.test(c) || c === 'transparent';
    for (const s of stops) {
      const r = rest[s.key];
      const outline = s.os !== 'none' && s.ow >= 2 && !transparent(s.oc);
      const ring = s.focused.shadow !== r.shadow && s.focused.shadow !== 'none';
      const bg = s.focused.bg !== r.bg && !transparent(s.focused.bg);
      assert.ok(outline || ring || bg, where(ctx.page, ctx.viewport, `focus: ${s.name} shows no visible focus indicator (focused ${JSON.stringify(s.focused)}, unfocused ${JSON.stringify(r)})`));
    }
    return stops.length;
  }

  for (const vp of [PHONE, DESKTOP]) {
    it(`focus is visible on every Tab stop of the petition page (${vp.width}x${vp.height})`, async () => {
      const rec = await h.newPage({ viewport: vp });
      try {
        await rec.page.goto(srv.petition('ru'));
        await focusVisible(rec.page, { page: 'petition ru', viewport: vp });
      } finally {
        await rec.context.close();
      }
    });
  }

  it('focus is visible on the 422, thank-you and confirmation pages', async () => {
    const rec = await h.newPage({ viewport: PHONE });
    try {
      await badSubmission(rec.page, 'uk');
      await rec.page.evaluate(() => { document.activeElement.blur(); window.scrollTo(0, 0); });
      await focusVisible(rec.page, { page: 'petition uk, 422', viewport: PHONE });
      await rec.page.goto(srv.url(`/p/${h.SLUG}/thanks?state=pending&lang=uk`));
      await focusVisible(rec.page, { page: 'thank-you uk', viewport: PHONE });
      await rec.page.goto(srv.url(`${token}?lang=uk`));
      await focusVisible(rec.page, { page: 'confirmation uk', viewport: PHONE });
    } finally {
      await rec.context.close();
    }
  });

  it('the server exits cleanly on SIGTERM, without a sanitizer report', () => srv.stop());
});
