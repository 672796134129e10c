// live.test.js - the live count: pages open in en, ru and uk on a 360×740
// phone show a confirmation made by another client within a second, without
// a reload (static/holos.js and /p/SLUG/events), progress bar and next goal
// included, and the signer, who agreed to show their name, joins the recent
// signers (static/social.js); without JavaScript the page keeps the count
// and the list it was served with.
'use strict';

const { describe, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');

const { it, PHONE, where } = h;
const REACH_MS = 1000;

describe('live count', () => {
  let smtp;
  let srv;
  const recs = [];

  after(async () => {
    for (const r of recs) await r.context.close().catch(() => {});
    await h.closeBrowser();
    if (smtp) await smtp.stop();
    if (srv) await srv.stop();
  });

  it('a confirmation by another client reaches open pages within a second', async () => {
    smtp = await h.startSmtp();
    srv = await h.startHolos(['--smtp', smtp.url]);

    // Watchers: one page per language, and one without JavaScript.
    const watchers = [];
    for (const lang of ['en', 'ru', 'uk']) {
      const rec = await h.newPage({ viewport: PHONE });
      recs.push(rec);
      await rec.page.goto(srv.petition(lang));
      const text = (await rec.page.textContent('#count')).trim();
      assert.match(text, /^0\s/, where(`petition ${lang}`, PHONE, `the count starts at 0: "${text}"`));
      watchers.push({ lang, page: rec.page });
    }
    const still = await h.newPage({ viewport: PHONE, js: false });
    recs.push(still);
    await still.page.goto(srv.petition('en'));
    const stillBefore = (await still.page.textContent('#count')).trim();
    // Each watcher notes the moment its count line changes.
    for (const w of watchers) {
      await w.page.evaluate(() => {
        const el = document.getElementById('count');
        window.__changed = 0;
        new MutationObserver(() => {
          if (!window.__changed && /^1\s/.test(el.textContent.trim())) window.__changed = Date.now();
        }).observe(el, { childList: true, characterData: true, subtree: true });
      });
    }
    // Let each page's stream open before the count moves.
    await h.sleep(500);

    // Another client signs and confirms from the mail.
    const signer = await h.newPage({ viewport: PHONE });
    recs.push(signer);
    const sp = h.use(signer).page;
    await sp.goto(srv.petition('en'));
    await sp.fill('#first_name', 'Live');
    await sp.fill('#last_name', 'Watcher');
    await sp.fill('#email', 'live.watcher@example.org');
    await sp.selectOption('#country', 'UA');
    await sp.check('#public');
    await Promise.all([sp.waitForURL(/\/thanks\?state=pending$/), sp.click('#sign button[type=submit]')]);
    const { link } = await h.confirmationLink(smtp, srv.base, 1);
    await sp.goto(link);
    // The confirmation is made when its answer comes: the server answers
    // once the commit is on disk.
    let confirmed = 0;
    sp.on('response', (res) => {
      if (!confirmed && res.request().method() === 'POST' && /\/c\//.test(res.url())) confirmed = Date.now();
    });
    await Promise.all([sp.waitForURL(/\/thanks\?state=confirmed$/), sp.click('form button[type=submit]')]);
    assert.ok(confirmed > 0, where('confirm', PHONE, 'the confirmation was answered'));

    for (const w of watchers) {
      h.use({ page: w.page });
      await w.page.waitForFunction(() => window.__changed > 0, null, { timeout: 5000, polling: 50 }).catch(async () => {
        const now = (await w.page.textContent('#count')).trim();
        throw new Error(where(`petition ${w.lang}`, PHONE, `the count did not change: "${now}"`));
      });
      const took = (await w.page.evaluate(() => window.__changed)) - confirmed;
      process.stdout.write(`# ${w.lang}: the count changed ${took} ms after the confirmation\n`);
      assert.ok(took <= REACH_MS, where(`petition ${w.lang}`, PHONE, `the count changed ${took} ms after the confirmation, more than ${REACH_MS} ms`));
      const bar = await w.page.evaluate(() => {
        const b = document.querySelector('progress.bar');
        return { value: b.value, max: b.max };
      });
      assert.equal(bar.value, 1, where(`petition ${w.lang}`, PHONE, 'the progress bar moved to 1'));
      assert.ok(bar.max > 1, where(`petition ${w.lang}`, PHONE, `the progress bar's maximum is the next goal (${bar.max})`));
      const text = (await w.page.textContent('#count')).trim();
      const goal = w.lang === 'en' ? /15,000/ : /15\s000/;
      assert.match(text, goal, where(`petition ${w.lang}`, PHONE, `the line names the next goal: "${text}"`));
    }
    // The recent signers list shows the new signer, by first name.
    for (const w of watchers) {
      await w.page.waitForFunction(() => {
        const s = document.getElementById('recent');
        const l = document.getElementById('recent-signers');
        return s && !s.hidden && l && /Live/.test(l.textContent);
      }, null, { timeout: 5000, polling: 50 }).catch(async () => {
        const now = await w.page.evaluate(() => document.getElementById('recent-signers')?.textContent);
        throw new Error(where(`petition ${w.lang}`, PHONE, `the recent signers did not show the new signer: "${now}"`));
      });
      const item = (await w.page.textContent('#recent-signers li')).trim();
      assert.ok(!/Watcher/.test(item), where(`petition ${w.lang}`, PHONE, `only the first name is shown: "${item}"`));
    }
    const ukItem = (await watchers[2].page.textContent('#recent-signers li')).trim();
    assert.match(ukItem, /Україна/, where('petition uk', PHONE, `the country is named in the page's language: "${ukItem}"`));

    // The language of each line is the page's.
    const ru = (await watchers[1].page.textContent('#count')).trim();
    assert.match(ru, /Следующая цель/, where('petition ru', PHONE, `the line is Russian: "${ru}"`));
    const uk = (await watchers[2].page.textContent('#count')).trim();
    assert.match(uk, /Наступна мета/, where('petition uk', PHONE, `the line is Ukrainian: "${uk}"`));

    // Without JavaScript nothing moves until a reload, which shows it.
    assert.equal((await still.page.textContent('#count')).trim(), stillBefore, where('petition en (no JS)', PHONE, 'no script: the served count stays'));
    assert.ok(await still.page.evaluate(() => document.getElementById('recent').hidden), where('petition en (no JS)', PHONE, 'no script: the empty list stays hidden'));
    await still.page.reload();
    assert.match((await still.page.textContent('#count')).trim(), /^1\s/, where('petition en (no JS)', PHONE, 'a reload shows the new count'));
  });
});
