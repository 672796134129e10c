// visual.test.js - screenshots of the main pages at phone and desktop widths,
// for people to look at (README shows some), with the layout checks a
// screenshot cannot make by itself: nothing sticks out sideways.
//
// Screenshots go to build/screenshots/ on every run, and to docs/screenshots/
// when a file there is missing or HOLOS_SCREENSHOTS=update is set (they are
// committed, so an ordinary run must not rewrite them: the date and port on
// the pages change from run to run).
'use strict';

const { describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./lib/harness');

const { it } = h;

const { PHONE, DESKTOP, where } = h;
const DOCS = path.join(h.ROOT, 'docs', 'screenshots');
const BUILD = path.join(h.ROOT, 'build', 'screenshots');
const UPDATE = process.env.HOLOS_SCREENSHOTS === 'update';
const SIZES = { phone: PHONE, desktop: DESKTOP };

let srv;
let smtp;
let token;

// Width and height from a PNG's IHDR chunk.
function pngSize(buf) {
  assert.equal(buf.toString('latin1', 1, 4), 'PNG', 'a PNG file');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

async function shoot(page, name, vp) {
  // Fonts loaded, nothing animating, no caret blinking into the picture.
  await page.evaluate(() => document.fonts.ready);
  const png = await page.screenshot({ fullPage: false, animations: 'disabled', caret: 'hide' });
  const size = pngSize(png);
  assert.deepEqual(size, { width: vp.width, height: vp.height }, where(name, vp, 'screenshot: the picture has the viewport\'s size'));
  assert.ok(png.length > 8000, where(name, vp, `screenshot: the picture is not blank (${png.length} B)`));
  fs.mkdirSync(BUILD, { recursive: true });
  fs.writeFileSync(path.join(BUILD, `${name}.png`), png);
  const doc = path.join(DOCS, `${name}.png`);
  if (UPDATE || !fs.existsSync(doc)) {
    fs.mkdirSync(DOCS, { recursive: true });
    fs.writeFileSync(doc, png);
  }
}

async function noOverflow(page, name, vp) {
  const o = await h.overflow(page);
  assert.ok(o.scrollWidth <= vp.width, where(name, vp, `layout: no horizontal overflow (scrollWidth ${o.scrollWidth} > ${vp.width}; wide: ${o.wide.join(', ')})`));
}

describe('screenshots of the main pages', () => {
  before(async () => {
    smtp = await h.startSmtp();
    srv = await h.startHolos(['--smtp', smtp.url]);
  });
  after(async () => {
    await h.closeBrowser();
    if (srv) await srv.stop().catch(() => {}); // reported by the last test
    if (smtp) await smtp.stop();
  });

  for (const lang of ['ru', 'en']) {
    for (const [size, vp] of Object.entries(SIZES)) {
      it(`petition, ${lang}, ${size}`, async () => {
        const rec = await h.newPage({ viewport: vp });
        try {
          await rec.page.goto(srv.petition(lang), { waitUntil: 'load' });
          await noOverflow(rec.page, `petition ${lang}`, vp);
          await shoot(rec.page, `petition-${lang}-${size}`, vp);
          assert.equal(h.foreignRequests(rec), '', where(`petition ${lang}`, vp, 'no request leaves 127.0.0.1'));
        } finally {
          await rec.context.close();
        }
      });
    }
  }

  for (const [size, vp] of Object.entries(SIZES)) {
    it(`thank-you and confirmation pages, ru, ${size}`, async () => {
      const rec = await h.newPage({ viewport: vp });
      const { page } = rec;
      try {
        await page.goto(srv.petition('ru'));
        await page.fill('#first_name', 'Мария');
        await page.fill('#last_name', 'Иванова');
        await page.fill('#email', `maria-${size}@example.org`);
        await page.selectOption('#country', 'LT');
        await Promise.all([page.waitForURL(/thanks\?state=pending$/, { waitUntil: 'load' }), page.click('#sign button[type=submit]')]);
        await noOverflow(page, 'thank-you ru', vp);
        await shoot(page, `thanks-ru-${size}`, vp);
        const n = size === 'phone' ? 1 : 2;
        const { link } = await h.confirmationLink(smtp, srv.base, n);
        token = token || new URL(link).pathname;
        await page.goto(link, { waitUntil: 'load' });
        await noOverflow(page, 'confirmation ru', vp);
        await shoot(page, `confirm-ru-${size}`, vp);
        assert.equal(h.foreignRequests(rec), '', where('thank-you, confirmation ru', vp, 'no request leaves 127.0.0.1'));
      } finally {
        await rec.context.close();
      }
    });
  }

  it('the sign form with errors, ru, phone', async () => {
    const rec = await h.newPage({ viewport: PHONE });
    const { page } = rec;
    try {
      await page.goto(srv.petition('ru'));
      await page.fill('#first_name', 'Мария');
      await page.fill('#email', 'maria@');
      await Promise.all([page.waitForURL(/\/sign$/, { waitUntil: 'load' }), page.click('#sign button[type=submit]')]);
      await noOverflow(page, 'petition ru, 422', PHONE);
      await shoot(page, 'sign-error-ru-phone', PHONE);
    } finally {
      await rec.context.close();
    }
  });

  it('every page stays within the width at phone and desktop sizes, in every language', async () => {
    for (const [size, vp] of Object.entries(SIZES)) {
      const rec = await h.newPage({ viewport: vp });
      try {
        for (const lang of ['en', 'ru', 'uk']) {
          for (const [name, url] of [
            ['home', '/'],
            ['petition', `/p/${h.SLUG}`],
            ['thank-you', `/p/${h.SLUG}/thanks?state=confirmed`],
            ['confirmation', token || '/c/no-token-was-made'],
            ['error 404', '/p/no-such-petition'],
          ]) {
            await rec.page.goto(srv.url(`${url}${url.includes('?') ? '&' : '?'}lang=${lang}`), { waitUntil: 'load' });
            await noOverflow(rec.page, `${name} ${lang}`, vp);
          }
        }
      } finally {
        await rec.context.close();
      }
    }
  });

  it('the server exits cleanly on SIGTERM, without a sanitizer report', () => srv.stop());
});
