// perf.test.js - the petition page as a browser loads it: its weight
// compressed, that it asks no other host for anything, and that a new count
// does not move the page around.
'use strict';

const { describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const zlib = require('node:zlib');
const h = require('./lib/harness');

const { it } = h;

const { PHONE, DESKTOP, where } = h;
const BUDGET = 50 * 1024; // HTML + CSS + JS, compressed

// Elements below the count line whose place must not change when it does.
const BELOW_COUNT = ['#count', '.petition__stats progress', '.petition__body', '#sign', '#sign button[type=submit]', '.share', '.site-footer'];

// Heights are measured from the top of the card that holds the count: the
// header above it says how long ago the petition started, and that line may
// wrap differently a minute later; only what the count itself moves counts.
function boxes(page) {
  return page.evaluate((sels) => {
    const card = document.querySelector('.petition__stats');
    const top = card ? card.getBoundingClientRect().top + scrollY : 0;
    return Object.fromEntries(sels.map((s) => {
      const e = document.querySelector(s);
      if (!e) return [s, null];
      const r = e.getBoundingClientRect();
      return [s, { x: r.left + scrollX, y: r.top + scrollY - top, w: r.width, h: r.height }];
    }));
  }, BELOW_COUNT);
}

function moved(a, b) {
  const out = [];
  for (const s of Object.keys(a)) {
    if (a[s] === null && b[s] === null) continue;
    if (!a[s] || !b[s]) { out.push(`${s} appeared or vanished`); continue; }
    for (const k of ['x', 'y', 'w', 'h']) {
      if (Math.abs(a[s][k] - b[s][k]) > 0.5) out.push(`${s} ${k} ${a[s][k].toFixed(1)} → ${b[s][k].toFixed(1)}`);
    }
  }
  return out;
}

// Starts collecting layout-shift entries in the page (including those of the load).
function observeShifts(page) {
  return page.evaluate(() => {
    window.__shifts = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        window.__shifts.push({ value: e.value, recent: e.hadRecentInput, nodes: (e.sources || []).map((s) => (s.node && s.node.nodeName) || '?').join(',') });
      }
    }).observe({ type: 'layout-shift', buffered: true });
  });
}

async function shifts(page) {
  // Two frames, so that a pending layout has been done and reported.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 50)))));
  return page.evaluate(() => window.__shifts.filter((s) => !s.recent));
}

let srv;
let smtp;

describe('performance', () => {
  before(async () => {
    smtp = await h.startSmtp();
    srv = await h.startHolos(['--smtp', smtp.url]);
  });
  after(async () => {
    await h.closeBrowser();
    if (srv) await srv.stop().catch(() => {}); // reported by the last test
    if (smtp) await smtp.stop();
  });

  for (const lang of ['en', 'ru', 'uk']) {
    it(`the petition page's HTML + CSS + JS weigh under 50 KB compressed (${lang})`, async (t) => {
      const rec = await h.newPage({ viewport: PHONE });
      const got = [];
      rec.page.on('response', (r) => got.push(r));
      try {
        await rec.page.goto(srv.petition(lang), { waitUntil: 'load' });
        const parts = [];
        for (const r of got) {
          const type = r.request().resourceType();
          if (!['document', 'stylesheet', 'script'].includes(type)) continue;
          const body = await r.body();
          const enc = r.headers()['content-encoding'];
          // The server's own compression when it has any; gzip -6 otherwise,
          // which is what a reverse proxy in front of holos would send.
          const size = enc ? (await r.request().sizes()).responseBodySize : zlib.gzipSync(body, { level: 6 }).length;
          parts.push({ url: new URL(r.url()).pathname, type, raw: body.length, size, enc: enc || 'gzip (measured)' });
        }
        const types = new Set(parts.map((p) => p.type));
        assert.ok(types.has('document') && types.has('stylesheet') && types.has('script'),
          where(`petition ${lang}`, PHONE, `weight: found the HTML, CSS and JS (${[...types].join(', ')})`));
        const total = parts.reduce((a, p) => a + p.size, 0);
        const detail = parts.map((p) => `${p.url} ${p.raw} B → ${p.size} B ${p.enc}`).join('; ');
        t.diagnostic(`petition ${lang}: ${total} B compressed: ${detail}`);
        assert.ok(total < BUDGET, where(`petition ${lang}`, PHONE, `weight: HTML + CSS + JS compressed ${total} B ≥ ${BUDGET} B (${detail})`));
        assert.equal(h.foreignRequests(rec), '', where(`petition ${lang}`, PHONE, 'no request leaves 127.0.0.1'));
      } finally {
        await rec.context.close();
      }
    });
  }

  it('no page asks another host for anything (petition, sign, thank-you, confirmation, 404; JS on and off; phone and desktop)', async () => {
    for (const js of [true, false]) {
      for (const vp of [PHONE, DESKTOP]) {
        const rec = await h.newPage({ viewport: vp, js });
        const label = js ? '' : ' (no JS)';
        try {
          for (const lang of ['en', 'ru', 'uk']) {
            await rec.page.goto(srv.petition(lang), { waitUntil: 'load' });
            // Nothing in the page loads from elsewhere either (links to share sites are fine).
            const external = await rec.page.evaluate(() => [...document.querySelectorAll('script[src], link[href]:not([rel=canonical]):not([rel=alternate]), img[src], iframe[src], source[src], video[src], audio[src], object[data]')]
              .map((e) => e.src || e.href || e.data).filter((u) => new URL(u, location.href).hostname !== location.hostname));
            assert.deepEqual(external, [], where(`petition ${lang}${label}`, vp, 'no resource referenced from another host'));
          }
          await rec.page.goto(srv.url('/p/no-such-petition'));
          await rec.page.goto(srv.url(`/p/${h.SLUG}/thanks?state=pending`));
          await rec.page.goto(srv.url('/'));
          assert.ok(rec.requests.length >= 10, where(`all pages${label}`, vp, `requests were recorded (${rec.requests.length})`));
          assert.equal(h.foreignRequests(rec), '', where(`all pages${label}`, vp, 'no request leaves 127.0.0.1'));
        } finally {
          await rec.context.close();
        }
      }
    }
  });

  it('the count going from 0 to 1 moves nothing on the page (phone and desktop)', async () => {
    const views = [];
    try {
      for (const vp of [PHONE, DESKTOP]) {
        const rec = await h.newPage({ viewport: vp });
        await rec.page.goto(srv.petition('ru'), { waitUntil: 'load' });
        await rec.page.evaluate(() => document.fonts.ready);
        await observeShifts(rec.page);
        const load = await shifts(rec.page);
        const cls = load.reduce((a, s) => a + s.value, 0);
        assert.ok(cls < 0.01, where('petition ru', vp, `layout shift while loading: ${cls.toFixed(4)} (${JSON.stringify(load)})`));
        const count = (await rec.page.textContent('#count')).trim();
        assert.match(count, /^0\s/, where('petition ru', vp, `the count starts at 0: "${count}"`));
        views.push({ vp, rec, before: await boxes(rec.page), count });
      }

      // A real signature, confirmed from its mail.
      const signer = await h.newPage({ viewport: PHONE });
      await signer.page.goto(srv.petition('ru'));
      await signer.page.fill('#first_name', 'Тарас');
      await signer.page.fill('#last_name', 'Шевченко');
      await signer.page.fill('#email', 'taras@example.org');
      await signer.page.selectOption('#country', 'UA');
      await Promise.all([signer.page.waitForURL(/thanks/), signer.page.click('#sign button[type=submit]')]);
      const { link } = await h.confirmationLink(smtp, srv.base, 1);
      await signer.page.goto(link);
      await Promise.all([signer.page.waitForURL(/state=confirmed/), signer.page.click('form button[type=submit]')]);
      await signer.page.goto(srv.petition('ru'));
      const now = (await signer.page.textContent('#count')).trim();
      const progress = await signer.page.getAttribute('.petition__stats progress', 'value');
      await signer.context.close();
      assert.match(now, /^1\s/, where('petition ru', PHONE, `the count is 1 after confirming: "${now}"`));

      for (const v of views) {
        // As a live update would: the new count line and bar, in place.
        await v.rec.page.evaluate(({ text, value }) => {
          window.__shifts.length = 0;
          document.getElementById('count').textContent = text;
          document.querySelector('.petition__stats progress').value = Number(value);
        }, { text: now, value: progress });
        const live = await shifts(v.rec.page);
        const sum = live.reduce((a, s) => a + s.value, 0);
        assert.equal(sum, 0, where('petition ru', v.vp, `layout shift when the count changes "${v.count}" → "${now}": ${sum.toFixed(4)} (${JSON.stringify(live)})`));
        const inPlace = moved(v.before, await boxes(v.rec.page));
        assert.deepEqual(inPlace, [], where('petition ru', v.vp, `elements moved when the count changed in place: ${inPlace.join('; ')}`));

        // And as the next visitor sees it: the page loaded afresh.
        await v.rec.page.reload({ waitUntil: 'load' });
        await v.rec.page.evaluate(() => document.fonts.ready);
        assert.equal((await v.rec.page.textContent('#count')).trim(), now, where('petition ru', v.vp, 'the reloaded page shows the new count'));
        const reloaded = moved(v.before, await boxes(v.rec.page));
        assert.deepEqual(reloaded, [], where('petition ru', v.vp, `elements below the count moved between count 0 and 1: ${reloaded.join('; ')}`));
        assert.equal(h.foreignRequests(v.rec), '', where('petition ru', v.vp, 'no request leaves 127.0.0.1'));
      }
    } finally {
      for (const v of views) await v.rec.context.close();
    }
  });

  it('the server exits cleanly on SIGTERM, without a sanitizer report', () => srv.stop());
});
