// start.test.js - a starter writes a petition in a real browser: the live
// preview shows the text as the petition page will (rendered by the server's
// own Markdown renderer), "add another" opens one more decision-maker row and
// moves focus into it, and the petition goes to moderation.
'use strict';

const { describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const h = require('./lib/harness');

const { it, PHONE, where } = h;

const EMAIL = 'starter@example.org';
const PASSWORD = 'a long enough password';

describe('starting a petition', () => {
  let srv;
  before(async () => {
    srv = await h.startHolos([]);
    execFileSync(path.join(srv.data, 'hbt-server'), ['user', 'add', '--data', srv.data,
      '--email', EMAIL, '--role', 'starter'], { input: `${PASSWORD}\n`, cwd: h.ROOT });
  });
  after(async () => { await h.closeBrowser(); });

  it('live preview, another decision maker, submission (phone, JavaScript on)', async () => {
    const rec = await h.newPage({ viewport: PHONE });
    const { page } = rec;
    const ctx = { page: 'start en', viewport: PHONE };
    try {
      await page.goto(srv.url('/login?lang=en'));
      await page.fill('#email', EMAIL);
      await page.fill('#password', PASSWORD);
      await Promise.all([page.waitForURL(/\/me$/), page.click('button[type=submit]')]);

      await page.goto(srv.url('/start?lang=en'));
      await page.fill('#title', 'Open the city library on Sundays');
      await page.fill('#to_name_1', 'City council');

      // The preview follows the typing, rendered by the server.
      await page.fill('#body', '## Why\n\nThe library is closed on **Sundays**.\n\n<script>alert(1)</script>');
      await page.waitForSelector('#preview strong', { timeout: 10000 });
      assert.equal(await page.textContent('#preview h2'), 'Why', where(ctx.page, PHONE, 'preview: the heading is rendered'));
      assert.equal(await page.textContent('#preview strong'), 'Sundays', where(ctx.page, PHONE, 'preview: bold is rendered'));
      assert.equal(await page.$('#preview script'), null, where(ctx.page, PHONE, 'preview: raw HTML is not passed through'));
      assert.equal(await page.getAttribute('#preview', 'aria-live'), 'polite', where(ctx.page, PHONE, 'preview: announced politely'));

      // A change shows up too.
      await page.fill('#body', 'Now *in italics*.');
      await page.waitForSelector('#preview em', { timeout: 10000 });
      assert.equal(await page.$('#preview strong'), null, where(ctx.page, PHONE, 'preview: replaced, not appended'));

      // One row; the button opens the second in place and focuses it.
      assert.equal(await page.locator('#to-rows fieldset').count(), 1, where(ctx.page, PHONE, 'one decision maker row at first'));
      await page.click('#to-add');
      assert.equal(await page.locator('#to-rows fieldset').count(), 2, where(ctx.page, PHONE, 'add another: a second row'));
      assert.equal(await page.evaluate(() => document.activeElement.id), 'to_name_2', where(ctx.page, PHONE, 'add another: focus in the new row'));
      await page.fill('#to_name_2', 'The mayor');

      // Submitted: on to the dashboard, waiting for moderation.
      await page.fill('#goal', '500');
      await Promise.all([
        page.waitForURL(/\/me\/p\/open-the-city-library-on-sundays$/),
        page.click('button[value=submit]'),
      ]);
      assert.ok((await page.textContent('main')).includes(h.strings('en').me_state_pending),
        where(ctx.page, PHONE, 'dashboard: the petition waits for moderation'));
      const r = await h.fetchRaw(srv.url('/p/open-the-city-library-on-sundays'));
      assert.equal(r.status, 404, where(ctx.page, PHONE, 'pending: not public yet'));
    } finally {
      await rec.context.close();
    }
  });

  it('"add another" without JavaScript: the form comes back with one more row, typing kept', async () => {
    const rec = await h.newPage({ viewport: PHONE, js: false });
    const { page } = rec;
    const ctx = { page: 'start en (no JS)', viewport: PHONE };
    try {
      await page.goto(srv.url('/login?lang=en'));
      await page.fill('#email', EMAIL);
      await page.fill('#password', PASSWORD);
      await Promise.all([page.waitForURL(/\/me$/), page.click('button[type=submit]')]);
      await page.goto(srv.url('/start?lang=en'));
      assert.equal(await page.locator('#to-rows fieldset').count(), 1, where(ctx.page, PHONE, 'one decision maker row'));
      assert.ok(await page.isVisible('#to-add'), where(ctx.page, PHONE, 'the add button shows without a script'));
      await page.fill('#title', 'Light the park path');
      await page.fill('#to_name_1', 'Parks department');
      await Promise.all([page.waitForLoadState('load'), page.click('#to-add')]);
      await page.waitForSelector('#to_name_2');
      assert.equal(await page.locator('#to-rows fieldset').count(), 2, where(ctx.page, PHONE, 'add another: a second row'));
      assert.equal(await page.inputValue('#title'), 'Light the park path', where(ctx.page, PHONE, 'the title is kept'));
      assert.equal(await page.inputValue('#to_name_1'), 'Parks department', where(ctx.page, PHONE, 'the first row is kept'));
      assert.equal(await page.locator('.error-summary').count(), 0, where(ctx.page, PHONE, 'no errors for an unfinished form'));
    } finally {
      await rec.context.close();
    }
  });

  it('the server exits cleanly on SIGTERM, without a sanitizer report', () => srv.stop());
});
