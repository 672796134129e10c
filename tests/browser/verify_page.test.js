// verify_page.test.js - a signer's receipt, end to end in Chromium: sign
// through the real form, confirm from the mail, save the receipt the
// confirmed page offers (the download, checked against the short code),
// paste it into /p/SLUG/verify and see the page say it is in the log; a
// tampered receipt is refused.
'use strict';

const { describe, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const h = require('./lib/harness');

const { it, DESKTOP, where, SLUG } = h;
const en = h.strings('en');

// Pastes text into the verify page's field, presses Check and waits for a
// verdict; returns { state, text }.
async function check(page, text) {
  await page.fill('#receipt', text);
  await page.click('#verify-form button[type=submit]');
  await page.waitForFunction(() => {
    const s = document.getElementById('verify-result').getAttribute('data-state');
    return s === 'ok' || s === 'fail';
  });
  return page.evaluate(() => {
    const o = document.getElementById('verify-result');
    return { state: o.getAttribute('data-state'), text: o.textContent };
  });
}

// The words of message key with its {placeholders} cut out: what stays
// the same whatever the numbers.
function fixed(key) {
  return en[key].split(/\{\w+\}/).filter((s) => s.trim().length > 3);
}

describe('a receipt from the confirmed page verifies on /p/SLUG/verify', () => {
  let smtp;
  let srv;
  after(async () => {
    await h.closeBrowser();
    if (srv) await srv.stop();
    if (smtp) await smtp.stop();
  });

  it('sign, confirm, save the receipt, check it; a tampered one fails', async () => {
    smtp = await h.startSmtp();
    srv = await h.startHolos(['--smtp', smtp.url]);
    const rec = await h.newPage({ viewport: DESKTOP });
    const { page } = rec;
    // Every failure names the page it happened on.
    const ctx = (rule) => where(`${rule.split(':')[0]} en`, DESKTOP, rule);

    await page.goto(srv.petition('en'));
    await page.fill('#first_name', 'Ada');
    await page.fill('#last_name', 'Lovelace');
    await page.fill('#email', 'ada.receipt@example.org');
    await page.selectOption('#country', 'GB');
    await Promise.all([page.waitForURL(/\/thanks\?state=pending$/), page.click('#sign button[type=submit]')]);

    const { link } = await h.confirmationLink(smtp, srv.base, 1);
    await page.goto(link);
    await Promise.all([page.waitForURL(/\/thanks\?state=confirmed$/), page.click('form button[type=submit]')]);

    // The receipt: a short code and a download.
    const code = (await page.textContent('#receipt-code')).trim();
    assert.match(code, /^[0-9A-F]{4}-[0-9A-F]{4}$/, ctx('thanks: the short code'));
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#receipt-save')]);
    assert.match(download.suggestedFilename(), /\.json$/, ctx('thanks: the receipt is a .json file'));
    const text = fs.readFileSync(await download.path(), 'utf8');
    const receipt = JSON.parse(text);
    assert.equal(receipt.petition, SLUG, ctx('receipt: the petition'));
    assert.equal(receipt.site, srv.base, ctx('receipt: the site'));
    assert.equal(typeof receipt.leaf_index, 'number', ctx('receipt: the leaf index'));
    // The short code is the start of the commitment, SHA-256 of the secret.
    const commitment = crypto.createHash('sha256').update(Buffer.from(receipt.secret, 'base64')).digest('hex').toUpperCase();
    assert.equal(code, `${commitment.slice(0, 4)}-${commitment.slice(4, 8)}`, ctx('thanks: the short code matches the saved receipt'));

    // The confirmed page links to the verify page.
    await page.click(`a[href$="/p/${SLUG}/verify"]`);
    await page.waitForURL(new RegExp(`/p/${SLUG}/verify$`));

    // The head covering the signature is signed within about two
    // seconds: until then the page says "not yet".
    let v;
    const deadline = Date.now() + 10000;
    for (;;) {
      v = await check(page, text);
      if (v.state === 'ok' || Date.now() > deadline) break;
      assert.ok(fixed('verify_msg_not_yet').every((s) => v.text.includes(s)),
        ctx(`verify: before its head, only "not yet" (got "${v.text}")`));
      await h.sleep(300);
    }
    assert.equal(v.state, 'ok', ctx(`verify: the receipt verifies (got "${v.text}")`));
    const okWords = v.text.includes(fixed('verify_msg_ok')[0]) ? 'verify_msg_ok' : 'verify_msg_unsigned';
    assert.ok(fixed(okWords).every((s) => v.text.includes(s)), ctx(`verify: the page says it verifies ("${v.text}")`));
    assert.ok(v.text.includes(String(receipt.leaf_index)), ctx('verify: the message names the entry'));

    // Tampered: another secret (the entry is not this receipt's), another
    // index, another petition, not a receipt at all.
    const flip = Buffer.from(receipt.secret, 'base64');
    flip[0] ^= 1;
    v = await check(page, JSON.stringify({ ...receipt, secret: flip.toString('base64') }));
    assert.equal(v.state, 'fail', ctx(`verify: a changed secret fails (got "${v.text}")`));
    assert.ok(fixed('verify_msg_not_yours').every((s) => v.text.includes(s)), ctx(`verify: a changed secret is not yours ("${v.text}")`));
    v = await check(page, JSON.stringify({ ...receipt, leaf_index: receipt.leaf_index + 1 }));
    assert.equal(v.state, 'fail', ctx(`verify: a changed index fails (got "${v.text}")`));
    v = await check(page, JSON.stringify({ ...receipt, petition: 'another-petition' }));
    assert.equal(v.state, 'fail', ctx(`verify: another petition's receipt fails (got "${v.text}")`));
    v = await check(page, text.slice(0, text.length / 2));
    assert.equal(v.state, 'fail', ctx(`verify: half a receipt fails (got "${v.text}")`));
    assert.ok(fixed('verify_msg_not_receipt').every((s) => v.text.includes(s)), ctx(`verify: half a receipt is not a receipt ("${v.text}")`));

    // And the untouched receipt still verifies.
    v = await check(page, text);
    assert.equal(v.state, 'ok', ctx(`verify: the receipt verifies again (got "${v.text}")`));
    assert.equal(h.foreignRequests(rec), '', ctx('no request leaves 127.0.0.1'));
    await rec.context.close();
  });
});
