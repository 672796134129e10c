// social.test.js - the petition page and its surroundings as a person meets
// them: a header of one line with the account link down to 320 px in every
// language; only the petition's own text opens in the lead style; the
// dashboard's tables scroll by keyboard on a phone and keep their words
// whole on a desktop.
'use strict';

const { describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const h = require('./lib/harness');

const { it, PHONE, DESKTOP, where } = h;

const LANGS = ['en', 'ru', 'uk'];
const EMAIL = 'admin@example.org';
const PASSWORD = 'a long enough password';
const NARROW = { width: 320, height: 640 };

let srv;
let slug; // a petition started on the web and approved: it has a history

async function signIn(page) {
  await page.goto(srv.url('/login?lang=en'));
  await page.fill('#email', EMAIL);
  await page.fill('#password', PASSWORD);
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/login') && r.request().method() === 'POST', { timeout: 20000 }),
    page.click('button[type=submit]'),
  ]);
  assert.equal(resp.status(), 303, 'signed in');
  await page.waitForLoadState('load');
}

// The form token of the page at url, as page sees it.
async function token(page, url) {
  await page.goto(srv.url(url));
  return page.getAttribute('input[name=csrf]', 'value');
}

// The version of the text a moderator's decision is made on.
async function version(page) {
  return page.getAttribute('input[name=version]', 'value');
}

// Starts, submits and approves a petition through the real forms' routes;
// returns its slug.
async function startedAndApproved(page) {
  const csrf = await token(page, '/start?lang=en');
  const r = await page.request.post(srv.url('/start'), {
    form: {
      csrf, title: 'Keep the moderators informed', to_name_1: 'Municipal administration',
      body: 'A text.', goal: '100', lang: 'en', action: 'submit',
    },
    maxRedirects: 0,
  });
  assert.equal(r.status(), 303, 'submitted');
  const s = r.headers().location.replace(/^\/me\/p\//, '');
  // Sent back once with a long note, so the history has a wide column
  // beside short words ("moderator", "Waiting for moderation").
  let mod = await token(page, `/admin/p/${s}`);
  const note = 'Please name the department and the street concerned, and say since when the problem exists and what was already tried. '.repeat(4);
  const j = await page.request.post(srv.url(`/admin/p/${s}/moderate`), {
    form: { csrf: mod, action: 'reject', reason: 'other', note, version: await version(page) }, maxRedirects: 0,
  });
  assert.equal(j.status(), 303, 'sent back');
  const edit = await token(page, `/me/p/${s}/edit`);
  const e = await page.request.post(srv.url(`/me/p/${s}/edit`), {
    form: {
      csrf: edit, title: 'Keep the moderators informed', to_name_1: 'Municipal administration',
      body: 'A text, now with the street.', goal: '100', lang: 'en', action: 'submit',
    },
    maxRedirects: 0,
  });
  assert.equal(e.status(), 303, 'submitted again');
  mod = await token(page, `/admin/p/${s}`);
  const a = await page.request.post(srv.url(`/admin/p/${s}/moderate`), {
    form: { csrf: mod, action: 'approve', version: await version(page) }, maxRedirects: 0,
  });
  assert.equal(a.status(), 303, 'approved');
  return s;
}

// The words of the table cells under selector that a line break splits.
async function brokenWords(page, selector) {
  return page.evaluate((sel) => {
    const out = [];
    for (const cell of document.querySelectorAll(`${sel} th, ${sel} td`)) {
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const re = /\S+/g;
        let m;
        while ((m = re.exec(n.data)) !== null) {
          const range = document.createRange();
          range.setStart(n, m.index);
          range.setEnd(n, m.index + m[0].length);
          const tops = new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top)));
          if (tops.size > 1) out.push(m[0]);
        }
      }
    }
    return out;
  }, selector);
}

describe('around the petition', () => {
  before(async () => {
    srv = await h.startHolos([]);
    execFileSync(path.join(srv.data, 'hbt-server'), ['user', 'add', '--data', srv.data,
      '--email', EMAIL, '--role', 'admin'], { input: `${PASSWORD}\n`, cwd: h.ROOT });
    const rec = await h.newPage({ viewport: DESKTOP });
    try {
      await signIn(rec.page);
      slug = await startedAndApproved(rec.page);
    } finally {
      await rec.context.close();
    }
  });
  after(async () => { await h.closeBrowser(); });

  for (const signed of [false, true]) {
    it(`the header is one line at 320 px in en, ru and uk (${signed ? 'signed in' : 'signed out'})`, async () => {
      const rec = h.use(await h.newPage({ viewport: NARROW }));
      const { page } = rec;
      try {
        if (signed) await signIn(page);
        for (const lang of LANGS) {
          await page.goto(srv.petition(lang));
          const m = await page.evaluate(() => {
            const bar = document.querySelector('.site-header__in');
            const items = Array.from(bar.querySelectorAll('.site-name, .site-nav a, .lang-jump'));
            const boxes = items.map((e) => e.getBoundingClientRect());
            return {
              tops: boxes.map((b) => Math.round(b.top + b.height / 2)),
              right: Math.max(...boxes.map((b) => b.right)),
              width: document.documentElement.clientWidth,
              scroll: document.documentElement.scrollWidth,
              account: document.querySelector('.site-nav a:last-child').getAttribute('href'),
            };
          });
          const ctx = `petition ${lang} (${signed ? 'signed in' : 'signed out'})`;
          assert.equal(m.account, signed ? '/me' : '/login', where(ctx, NARROW, 'the account link'));
          const spread = Math.max(...m.tops) - Math.min(...m.tops);
          assert.ok(spread <= 4, where(ctx, NARROW, `header on one line: middles ${m.tops.join(', ')}`));
          assert.ok(m.right <= m.width, where(ctx, NARROW, `header within the screen: ${m.right} > ${m.width}`));
          assert.ok(m.scroll <= m.width, where(ctx, NARROW, 'no horizontal scrolling'));
        }
      } finally {
        await rec.context.close();
      }
    });
  }

  it('only the petition text opens in the lead style, not updates or responses', async () => {
    const rec = h.use(await h.newPage({ viewport: DESKTOP }));
    const { page } = rec;
    try {
      await page.goto(srv.petition('en'));
      const w = await page.evaluate(() => {
        const lead = document.querySelector('.petition__body article.prose > p');
        const body = document.querySelector('.petition__body');
        const sec = document.createElement('section');
        sec.className = 'updates';
        sec.innerHTML = '<article class="update"><h3 class="update__title">T</h3>' +
          '<div class="prose"><p>First paragraph of an update.</p><p>Second.</p></div></article>';
        body.appendChild(sec);
        const first = sec.querySelector('.prose > p');
        const second = sec.querySelectorAll('.prose > p')[1];
        const cs = (e) => getComputedStyle(e);
        return {
          lead: [cs(lead).fontWeight, cs(lead).fontSize],
          first: [cs(first).fontWeight, cs(first).fontSize],
          second: [cs(second).fontWeight, cs(second).fontSize],
        };
      });
      assert.equal(w.lead[0], '600', where('petition en', DESKTOP, 'the petition opens with its lead'));
      assert.deepEqual(w.first, w.second, where('petition en', DESKTOP, 'an update\'s first paragraph is like the rest'));
      assert.notDeepEqual(w.first, w.lead, where('petition en', DESKTOP, 'an update does not open in the lead style'));
    } finally {
      await rec.context.close();
    }
  });

  it('the dashboard tables at 360 px scroll by keyboard (axe: scrollable-region-focusable)', async () => {
    const rec = h.use(await h.newPage({ viewport: PHONE }));
    const { page } = rec;
    try {
      await signIn(page);
      for (const url of ['/me?lang=en', `/me/p/${slug}?lang=en`, `/admin/p/${slug}?lang=en`]) {
        await page.goto(srv.url(url));
        const res = await h.axe(page);
        const bad = res.violations.filter((v) => v.id === 'scrollable-region-focusable' ||
          (v.impact === 'serious' || v.impact === 'critical'));
        assert.deepEqual(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [],
          where(url, PHONE, 'axe: no serious finding'));
        const regions = await page.$$eval('.me__scroll', (els) => els.map((e) => e.tabIndex));
        assert.ok(regions.length > 0 && regions.every((t) => t === 0), where(url, PHONE, 'each scrolling table is a Tab stop'));
      }
    } finally {
      await rec.context.close();
    }
  });

  it('history tables keep their words whole at 1280 px', async () => {
    const rec = h.use(await h.newPage({ viewport: DESKTOP }));
    const { page } = rec;
    try {
      await signIn(page);
      for (const lang of LANGS) {
        for (const [url, sel] of [[`/me/p/${slug}?lang=${lang}`, '.me-history'], [`/admin/p/${slug}?lang=${lang}`, '#history']]) {
          await page.goto(srv.url(url));
          assert.ok(await page.$(sel), where(url, DESKTOP, 'the history table is there'));
          const broken = await brokenWords(page, sel);
          assert.deepEqual(broken, [], where(url, DESKTOP, 'no word split across lines'));
        }
      }
    } finally {
      await rec.context.close();
    }
  });

  it('the server exits cleanly on SIGTERM, without a sanitizer report', () => srv.stop());
});
