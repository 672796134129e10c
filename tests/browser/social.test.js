// social.test.js - the petition page and its surroundings as a person meets
// them: a header of one line with the account link down to 320 px in every
// language; on a phone the form (or the sign bar) above the fold, after the
// count and before the text; on a desktop the count and the form beside the
// text as it scrolls; only the petition's own text opens in the lead style;
// the dashboard's tables scroll by keyboard on a phone and keep their words
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

  for (const js of [true, false]) {
    it(`phone first at 360x740 in ru, uk and en: the form or the sign button above the fold (JavaScript ${js ? 'on' : 'off'})`, async () => {
      const rec = h.use(await h.newPage({ viewport: PHONE, js }));
      const { page } = rec;
      try {
        for (const lang of ['ru', 'uk', 'en']) {
          const ctx = `petition ${lang}${js ? '' : ' (no JS)'}`;
          await page.goto(srv.petition(lang));
          await page.waitForTimeout(200); // the bar's observer reports once
          const m = await page.evaluate(() => {
            const q = (s) => document.querySelector(s);
            const box = (e) => (e ? e.getBoundingClientRect() : null);
            const bar = q('#signbar');
            return {
              count: box(q('#count')).bottom,
              heading: box(q('#sign-h')).bottom,
              field: box(q('#first_name')).top,
              text: box(q('.petition__body')).top,
              bar: bar && !bar.hidden ? box(bar.querySelector('a')) : null,
            };
          });
          assert.ok(m.count < m.heading && m.heading < m.text, where(ctx, PHONE, 'the count, then the form, then the text'));
          const formSeen = m.heading <= PHONE.height;
          const buttonSeen = m.bar !== null && m.bar.top >= 0 && m.bar.bottom <= PHONE.height;
          assert.ok(formSeen || buttonSeen, where(ctx, PHONE, `above the fold: form heading ends at ${m.heading}, sign bar ${m.bar ? m.bar.top : 'hidden'}`));
          if (!js) {
            assert.ok(formSeen, where(ctx, PHONE, `without a script the form's heading is on the first screen (${m.heading})`));
            assert.equal(m.bar, null, where(ctx, PHONE, 'without a script no sign bar'));
          }
        }
      } finally {
        await rec.context.close();
      }
    });
  }

  it('phone: the sign bar stays at the bottom while the form is out of sight and leads to it', async () => {
    const rec = h.use(await h.newPage({ viewport: PHONE }));
    const { page } = rec;
    const ctx = 'petition ru';
    try {
      await page.goto(srv.petition('ru'));
      // Reading the text: the form has gone up, the bar is there.
      await page.evaluate(() => document.querySelector('.petition__body').scrollIntoView());
      await page.waitForSelector('#signbar:not([hidden])', { timeout: 5000 });
      const bar = await page.evaluate(() => document.querySelector('#signbar a').getBoundingClientRect().toJSON());
      assert.ok(bar.bottom <= PHONE.height && bar.top > PHONE.height - 120, where(ctx, PHONE, `the bar sits at the bottom (${bar.top}–${bar.bottom})`));
      await page.click('#signbar a');
      await page.waitForSelector('#signbar[hidden]', { state: 'attached', timeout: 5000 });
      const top = await page.evaluate(() => document.querySelector('#sign-h').getBoundingClientRect().top);
      assert.ok(top >= 0 && top < PHONE.height / 2, where(ctx, PHONE, `the bar leads to the form (${top})`));
      // Desktop: no bar, ever.
      await page.setViewportSize(DESKTOP);
      await page.evaluate(() => window.scrollTo(0, 2000));
      await page.waitForTimeout(200);
      assert.equal(await page.isVisible('#signbar'), false, where(ctx, DESKTOP, 'no sign bar on a wide screen'));
    } finally {
      await rec.context.close();
    }
  });

  it('desktop: the count and the form stay in view while the text scrolls; no serious axe finding', async () => {
    for (const vp of [DESKTOP, PHONE]) {
      const rec = h.use(await h.newPage({ viewport: vp }));
      const { page } = rec;
      try {
        for (const lang of LANGS) {
          const ctx = `petition ${lang}`;
          await page.goto(srv.petition(lang));
          if (vp === DESKTOP) {
            await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight * 0.6));
            await page.waitForTimeout(100);
            const m = await page.evaluate(() => ({
              count: document.querySelector('#count').getBoundingClientRect().toJSON(),
              heading: document.querySelector('#sign-h').getBoundingClientRect().toJSON(),
              y: window.scrollY,
            }));
            assert.ok(m.y > 500, where(ctx, vp, 'the page scrolled'));
            assert.ok(m.count.top >= 0 && m.count.bottom <= vp.height, where(ctx, vp, `the count in view (${m.count.top})`));
            assert.ok(m.heading.top >= 0 && m.heading.bottom <= vp.height, where(ctx, vp, `the form in view (${m.heading.top})`));
          }
          const res = await h.axe(page);
          const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
          assert.deepEqual(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [],
            where(ctx, vp, 'axe: no serious finding'));
        }
      } finally {
        await rec.context.close();
      }
    }
  });

  it('a like of a shown comment counts without leaving the page (static/social.js)', async () => {
    // A confirmed signer's comment, shown by consent, as the store keeps it.
    execFileSync('sqlite3', [path.join(srv.data, 'holos.db'),
      "INSERT INTO signatures (petition_id, seq, email_hash, country, state, created_at, confirmed_at, comment, public_comment, lang) " +
      "VALUES ((SELECT id FROM petitions WHERE slug = 'kremlin-prisoners-covid19'), 9001, 'like-test', 'UA', 'confirmed', 1, 1, " +
      "'Signed for my neighbour.', 1, 'en')"]);
    const rec = h.use(await h.newPage({ viewport: PHONE }));
    const page = rec.page;
    try {
      const url = srv.petition('en');
      // The page is cached for a few seconds.
      for (let i = 0; i < 20; i++) {
        await page.goto(url);
        if (await page.locator('.comment__text', { hasText: 'Signed for my neighbour.' }).count()) break;
        await h.sleep(500);
      }
      const item = page.locator('.comment', { hasText: 'Signed for my neighbour.' }).first();
      assert.match(await item.locator('.comment__likes').textContent(), /^0 people/, where('petition en', PHONE, 'no like yet'));
      await item.locator('button').click();
      await page.waitForFunction(() => /^1 person/.test(document.querySelector('.comment__likes').textContent), null, { timeout: 5000 });
      assert.equal(page.url(), url, where('petition en', PHONE, 'the like did not leave the page'));
      assert.ok(await item.locator('button').isDisabled(), where('petition en', PHONE, 'the button is spent'));
    } finally {
      await rec.context.close();
    }
  });

  it('the server exits cleanly on SIGTERM, without a sanitizer report', () => srv.stop());
});
