// embed.test.js - the widget other sites put in an iframe (/p/SLUG/embed):
// a page served from another origin frames it and it renders there (title,
// count, progress, a sign button that opens the petition outside the
// frame), in en, ru and uk; the petition page itself refuses to be framed.
'use strict';

const { describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const h = require('./lib/harness');

const { it, PHONE, where } = h;

let srv;
let other; // the other origin's server
let otherBase;

// A page on another origin (another port of 127.0.0.1) with two frames:
// the widget, and the petition page itself.
function startOther(holos, lang) {
  return new Promise((resolve) => {
    const s = http.createServer((req, res) => {
      const l = new URL(req.url, 'http://x').searchParams.get('lang') || lang;
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(`<!DOCTYPE html><html lang="en"><head><title>A blog</title></head><body>
<h1>A blog post about the petition</h1>
<iframe id="widget" src="${holos}/p/${h.SLUG}/embed?lang=${l}" width="360" height="230" style="border:0" title="Petition"></iframe>
<iframe id="page" src="${holos}/p/${h.SLUG}" width="360" height="230" title="Page"></iframe>
</body></html>`);
    });
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

describe('embeddable widget', () => {
  before(async () => {
    srv = await h.startHolos();
    other = await startOther(srv.base, 'en');
    otherBase = `http://127.0.0.1:${other.address().port}`;
  });
  after(async () => {
    await h.closeBrowser();
    if (other) other.close();
    if (srv) await srv.stop();
  });

  for (const lang of ['en', 'ru', 'uk']) {
    it(`the widget renders in an iframe on another origin (${lang})`, async () => {
      const rec = await h.newPage({ viewport: PHONE });
      const label = `blog with widget ${lang}`;
      try {
        await rec.page.goto(`${otherBase}/?lang=${lang}`, { waitUntil: 'load' });
        const handle = await rec.page.waitForSelector('#widget');
        const frame = await handle.contentFrame();
        assert.ok(frame, where(label, PHONE, 'the widget frame has a document'));
        await frame.waitForSelector('.embed__title');
        const got = await frame.evaluate(() => ({
          lang: document.documentElement.lang,
          title: document.querySelector('.embed__title').textContent,
          count: document.querySelector('#count').textContent,
          bar: document.querySelector('progress') !== null,
          btn: (() => { const a = document.querySelector('.embed__btn'); return a && { href: a.href, target: a.target }; })(),
          styled: getComputedStyle(document.querySelector('.embed')).borderTopStyle,
          width: document.documentElement.scrollWidth,
        }));
        assert.equal(got.lang, lang, where(label, PHONE, 'the widget speaks the language asked for'));
        assert.ok(got.title.includes('Kremlin') || got.title.length > 20, where(label, PHONE, `the title shows (${got.title})`));
        assert.match(got.count, /\d/, where(label, PHONE, `the count shows (${got.count})`));
        assert.ok(got.bar, where(label, PHONE, 'the progress bar shows'));
        assert.ok(got.btn, where(label, PHONE, 'the sign button shows'));
        assert.equal(got.btn.target, '_blank', where(label, PHONE, 'the sign button opens outside the frame'));
        assert.ok(got.btn.href.startsWith(`${srv.base}/p/${h.SLUG}`), where(label, PHONE, `the sign button opens the petition (${got.btn.href})`));
        assert.equal(got.styled, 'solid', where(label, PHONE, "the widget's stylesheet loaded under its policy"));
        assert.ok(got.width <= 360, where(label, PHONE, `the widget fits its 360 px frame (${got.width})`));
        // The button opens the petition in a new page, not in the frame.
        const [popup] = await Promise.all([
          rec.context.waitForEvent('page'),
          frame.click('.embed__btn'),
        ]);
        await popup.waitForLoadState('load');
        assert.ok(popup.url().startsWith(`${srv.base}/p/${h.SLUG}`), where(label, PHONE, `the petition opened (${popup.url()})`));
        assert.ok(await popup.$('#sign'), where(label, PHONE, 'the opened page has the sign form'));
      } finally {
        await rec.context.close();
      }
    });
  }

  it('the petition page itself is not framed by another origin', async () => {
    const rec = await h.newPage({ viewport: PHONE });
    try {
      await rec.page.goto(`${otherBase}/`, { waitUntil: 'load' });
      const handle = await rec.page.waitForSelector('#page');
      // Give the refused frame time to settle on its error page.
      await h.sleep(500);
      const frame = await handle.contentFrame();
      let form = null;
      try {
        form = frame ? await frame.$('#sign') : null;
      } catch { form = null; }
      assert.equal(form, null, where('blog with page frame', PHONE, 'frame-ancestors \'none\' keeps the petition page out of frames'));
    } finally {
      await rec.context.close();
    }
  });
});
