// journeys.test.js - what a person does with holos in a browser: signing on a
// phone with the keyboard alone (with and without JavaScript), confirming from
// the email, correcting a mistake, switching language, and long input.
'use strict';

const { describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');

const { it } = h;

const { PHONE, where } = h;
const ru = h.strings('ru');

// Expects the focused element to match selector after a Tab.
async function tabExpect(page, selector, ctx) {
  await page.keyboard.press('Tab');
  const ok = await page.evaluate((s) => !!document.activeElement && document.activeElement.matches(s), selector);
  assert.ok(ok, where(ctx.page, ctx.viewport, `keyboard: Tab should move focus to ${selector}, it is on ${await h.focusedDescription(page)}`));
}

// The bottom of the focused element is on screen (not hidden below the fold or
// under something fixed).
async function focusedOnScreen(page) {
  return page.evaluate(() => {
    const r = document.activeElement.getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight;
  });
}

async function noOverflow(page, ctx) {
  const o = await h.overflow(page);
  assert.ok(o.scrollWidth <= PHONE.width && o.scrollWidth <= o.innerWidth,
    where(ctx.page, ctx.viewport, `layout: no horizontal overflow (scrollWidth ${o.scrollWidth} > ${o.innerWidth}; wide: ${o.wide.join(', ')})`));
}

// A signer on a phone, Russian, keyboard only: fill, submit, receive the
// confirmation mail, open its link, press the button, see the count move.
async function keyboardSigner(js) {
  const smtp = await h.startSmtp();
  let srv;
  const rec = {};
  try {
    srv = await h.startHolos(['--smtp', smtp.url]);
    Object.assign(rec, await h.newPage({ viewport: PHONE, js }));
    const { page } = rec;
    const label = js ? '' : ' (no JS)';
    const ctx = { page: `petition ru${label}`, viewport: PHONE };

    await page.goto(srv.petition('ru'));
    assert.equal(await page.getAttribute('html', 'lang'), 'ru', where(ctx.page, PHONE, 'html lang is ru'));
    const before = (await page.textContent('#count')).trim();
    assert.match(before, /^0\s/, where(ctx.page, PHONE, `count starts at 0: "${before}"`));
    // The page is the same for every reader: no proof-of-work challenge
    // until the form is touched.
    assert.equal(await page.evaluate(() => document.querySelector('input[name=pow]').value), '',
      where(ctx.page, PHONE, 'the page carries no challenge before the form is used'));

    // From the top of the page, Tab reaches the form within a few stops:
    // skip link, site name, search, "start", the account link, language,
    // then the first field (the form follows the count).
    const stops = await h.tabTo(page, '#first_name', 12);
    assert.ok(stops <= 7, where(ctx.page, PHONE, `keyboard: first name is the ${stops}th Tab stop, expected at most the 7th`));
    assert.ok(await focusedOnScreen(page), where(ctx.page, PHONE, 'keyboard: the focused first-name field is scrolled into view'));
    await h.typeKeys(page, 'Олена');
    await tabExpect(page, '#last_name', ctx);
    await h.typeKeys(page, 'Петренко');
    await tabExpect(page, '#email', ctx);
    await h.typeKeys(page, 'olena.petrenko@example.org');
    await tabExpect(page, '#country', ctx);
    await h.typeKeys(page, 'Укр'); // a closed select's type-ahead: Украина
    assert.equal(await page.inputValue('#country'), 'UA', where(ctx.page, PHONE, 'keyboard: typing "Укр" on the country list selects Ukraine'));
    await tabExpect(page, '#comment', ctx);
    await h.typeKeys(page, 'Свободу политзаключённым!');
    await tabExpect(page, '#public_comment', ctx); // left unticked
    await tabExpect(page, '#public', ctx);
    await page.keyboard.press('Space');
    await tabExpect(page, '#updates', ctx);
    await page.keyboard.press('Space');
    assert.ok(await page.isChecked('#public') && await page.isChecked('#updates'), where(ctx.page, PHONE, 'keyboard: Space ticks both checkboxes'));
    await tabExpect(page, '#sign button[type=submit]', ctx);
    assert.ok(await focusedOnScreen(page), where(ctx.page, PHONE, 'keyboard: the focused submit button is in view'));
    if (js) {
      // Touching the form fetched a challenge (GET /p/SLUG/pow) and the
      // script solved it while the person typed.
      await page.waitForFunction(() => document.querySelector('input[name=pow_nonce]').value !== '', null, { timeout: 10000 });
      const pow = await page.evaluate(() => document.querySelector('input[name=pow]').value);
      assert.match(pow, /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9a-f]+\.[A-Za-z0-9_-]+$/, where(ctx.page, PHONE, `the form holds a fetched challenge: "${pow}"`));
    }
    await Promise.all([page.waitForURL(/\/thanks\?state=pending$/), page.keyboard.press('Enter')]);

    const tctx = { page: `thanks ru${label}`, viewport: PHONE };
    assert.equal((await page.textContent('h1')).trim(), ru.thanks_pending_heading, where(tctx.page, PHONE, 'the thank-you page asks to confirm'));
    await noOverflow(page, tctx);
    // The server's verdict on the proof: solved with JavaScript, missing
    // without (flags 4: GUARD_FLAG_NO_POW, 8: a bad one).
    await h.sleep(300); // info lines reach the log within --log-flush
    const flags = [...srv.log().matchAll(/module=sign slug=\S+ flags=(\d+)/g)].map((m) => Number(m[1]));
    const powFlags = flags.reduce((a, f) => a | (f & 12), 0);
    assert.equal(powFlags, js ? 0 : 4, where(tctx.page, PHONE, `proof-of-work flags in the log: ${JSON.stringify(flags)}`));

    const { link, mail } = await h.confirmationLink(smtp, srv.base, 1);
    assert.match(mail.head, /^Content-Language: ru/m, where('confirmation mail', '-', 'the mail is in the signer\'s language'));
    // To: holds the address alone: a name typed on the form is not the
    // address owner's word, so it does not go into mail to that address.
    assert.match(mail.head.replace(/\r?\n[ \t]+/g, ' '), /^To: <?olena\.petrenko@example\.org>?\s*$/m, where('confirmation mail', '-', 'the mail goes to the address typed, with no name'));

    await page.goto(link);
    const cctx = { page: `confirm ru${label}`, viewport: PHONE };
    assert.equal((await page.textContent('h1')).trim(), ru.confirm_title, where(cctx.page, PHONE, 'the link opens the confirmation page in Russian (the language cookie)'));
    await h.tabTo(page, 'form button[type=submit]', 8);
    await Promise.all([page.waitForURL(/\/thanks\?state=confirmed$/), page.keyboard.press('Enter')]);
    assert.equal((await page.textContent('h1')).trim(), ru.thanks_confirmed_heading, where(`thanks ru${label}`, PHONE, 'pressing the button confirms'));

    await page.goto(srv.petition('ru'));
    const after = (await page.textContent('#count')).trim();
    assert.notEqual(after, before, where(ctx.page, PHONE, 'the count line changes after confirming'));
    assert.match(after, /^1\s/, where(ctx.page, PHONE, `the count is 1 after confirming: "${after}"`));
    assert.equal(h.foreignRequests(rec), '', where(ctx.page, PHONE, 'no request leaves 127.0.0.1'));
  } catch (e) {
    // The first failure is the one to report; clean up quietly.
    if (rec.context) await rec.context.close().catch(() => {});
    if (srv) await srv.stop().catch(() => {});
    await smtp.stop();
    throw e;
  }
  await rec.context.close();
  await smtp.stop();
  await srv.stop(); // fails on an unclean exit or a sanitizer report
}

describe('signing on a phone with the keyboard', () => {
  after(h.closeBrowser);
  it('Russian, JavaScript on: sign, confirm from the mail, count 0 → 1', () => keyboardSigner(true));
  it('Russian, JavaScript off: sign, confirm from the mail, count 0 → 1', () => keyboardSigner(false));
});

describe('forms, languages and long input', () => {
  let srv;
  before(async () => { srv = await h.startHolos([]); });
  after(async () => {
    await h.closeBrowser();
    if (srv) await srv.stop().catch(() => {}); // reported by the last test
  });

  // Submits a form with a missing last name and a bad email; returns the 422 page.
  async function failOnce(js, lang) {
    const rec = await h.newPage({ viewport: PHONE, js });
    const { page } = rec;
    await page.goto(srv.petition(lang));
    await page.focus('#first_name');
    await h.typeKeys(page, 'Олена');
    await page.focus('#email');
    await h.typeKeys(page, 'olena@');
    await page.focus('#country');
    await h.typeKeys(page, 'Укр');
    await page.focus('#comment');
    await h.typeKeys(page, 'Коментар');
    await page.focus('#public');
    await page.keyboard.press('Space');
    await page.focus('#email');
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/sign') && r.request().method() === 'POST'),
      page.waitForURL(/\/sign$/, { waitUntil: 'load' }),
      page.keyboard.press('Enter'), // implicit submission from a text field
    ]);
    return { rec, page, status: resp.status() };
  }

  async function valuesKept(page, ctx) {
    const v = await page.evaluate(() => ({
      first: document.getElementById('first_name').value,
      last: document.getElementById('last_name').value,
      email: document.getElementById('email').value,
      country: document.getElementById('country').value,
      comment: document.getElementById('comment').value,
      pub: document.getElementById('public').checked,
    }));
    assert.deepEqual(v, { first: 'Олена', last: '', email: 'olena@', country: 'UA', comment: 'Коментар', pub: true },
      where(ctx.page, ctx.viewport, 'validation: the typed values are kept'));
  }

  async function errorsDescribed(page, ctx) {
    const bad = await page.evaluate(() => [...document.querySelectorAll('[aria-invalid="true"]')].map((e) => ({
      id: e.id,
      described: (e.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean)
        .map((id) => (document.getElementById(id) || { textContent: '' }).textContent.trim()).join(' '),
    })));
    assert.deepEqual(bad.map((b) => b.id), ['last_name', 'email'], where(ctx.page, ctx.viewport, 'validation: the bad fields are marked aria-invalid'));
    for (const b of bad) {
      assert.ok(b.described.length > 0, where(ctx.page, ctx.viewport, `validation: #${b.id} is described by its error message (aria-describedby)`));
    }
    assert.equal(await page.getAttribute('#error-summary', 'role'), 'alert', where(ctx.page, ctx.viewport, 'validation: the error summary is announced (role=alert)'));
  }

  it('a validation error keeps the values and, with JavaScript, focuses the first bad field', async () => {
    const { rec, page, status } = await failOnce(true, 'uk');
    const ctx = { page: 'petition uk, 422 after a bad submission', viewport: PHONE };
    try {
      assert.equal(status, 422, where(ctx.page, PHONE, 'a bad form is answered 422'));
      await valuesKept(page, ctx);
      await errorsDescribed(page, ctx);
      assert.equal(await h.focusedDescription(page), 'input#last_name', where(ctx.page, PHONE, 'validation: holos.js moves focus to the first bad field'));
      assert.ok(await focusedOnScreen(page), where(ctx.page, PHONE, 'validation: the focused field is in view'));
      const summaryTop = await page.evaluate(() => document.getElementById('error-summary').getBoundingClientRect().top);
      assert.ok(summaryTop >= 0 && summaryTop < PHONE.height, where(ctx.page, PHONE, `validation: the error summary is in view above the field (top ${summaryTop})`));
      await noOverflow(page, ctx);

      // Correct the mistakes from there, keyboard only, and the signature goes through.
      await h.typeKeys(page, 'Петренко');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Control+A');
      await h.typeKeys(page, 'olena@example.org');
      await Promise.all([page.waitForURL(/\/thanks\?state=pending$/), page.keyboard.press('Enter')]);
      assert.equal(h.foreignRequests(rec), '', where(ctx.page, PHONE, 'no request leaves 127.0.0.1'));
    } finally {
      await rec.context.close();
    }
  });

  it('a validation error without JavaScript: the error summary link comes first and leads to the fields', async () => {
    const { rec, page, status } = await failOnce(false, 'ru');
    const ctx = { page: 'petition ru (no JS), 422 after a bad submission', viewport: PHONE };
    try {
      assert.equal(status, 422, where(ctx.page, PHONE, 'a bad form is answered 422'));
      await valuesKept(page, ctx);
      await errorsDescribed(page, ctx);
      // The notice at the top of the page is the first Tab stop in <main>.
      const first = await h.tabTo(page, 'main a, main input:not([type=hidden]), main select, main textarea, main button', 8);
      assert.equal(await h.focusedDescription(page), 'a[href=#error-summary]', where(ctx.page, PHONE, 'no JS: the first Tab stop in the content is the error notice'));
      // Before it: the skip link, the site name, search, "Start a
      // petition", the account link and the language link.
      assert.ok(first <= 7, where(ctx.page, PHONE, `no JS: the error notice is Tab stop ${first}, expected within the first 7`));
      const noticeTop = await page.evaluate(() => document.activeElement.getBoundingClientRect().top);
      assert.ok(noticeTop >= 0 && noticeTop < PHONE.height, where(ctx.page, PHONE, 'no JS: the error notice is on the first screen'));
      await page.keyboard.press('Enter');
      assert.equal(await h.focusedDescription(page), 'div#error-summary', where(ctx.page, PHONE, 'no JS: the notice link moves focus to the error summary'));
      await page.keyboard.press('Tab');
      assert.equal(await h.focusedDescription(page), 'a[href=#last_name]', where(ctx.page, PHONE, 'no JS: the summary lists the first bad field first'));
      await page.keyboard.press('Enter');
      assert.equal(await h.focusedDescription(page), 'input#last_name', where(ctx.page, PHONE, 'no JS: the summary link moves focus to its field'));
      assert.ok(await focusedOnScreen(page), where(ctx.page, PHONE, 'no JS: the field reached from the summary is in view'));
      await h.typeKeys(page, 'Петренко');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Control+A');
      await h.typeKeys(page, 'olena.ru@example.org');
      await Promise.all([page.waitForURL(/\/thanks\?state=pending$/), page.keyboard.press('Enter')]);
      assert.equal(h.foreignRequests(rec), '', where(ctx.page, PHONE, 'no request leaves 127.0.0.1'));
    } finally {
      await rec.context.close();
    }
  });

  // Brand names, file formats and addresses that stay as they are in every
  // language (UTC, the time zone of the log line, included).
  const SAME_EVERYWHERE = /\b(Holos|Telegram|WhatsApp|Facebook|X|SVG|PNG|UTC|name@example\.com)\b|https?:\/\/\S+/g;

  async function switchAndCompare(page, to, english, ctx) {
    await Promise.all([page.waitForURL(new RegExp(`[?&]lang=${to}\\b`)), page.click(`#langs a[hreflang=${to}]`)]);
    assert.equal(await page.getAttribute('html', 'lang'), to, where(ctx.page, ctx.viewport, `language switcher: <html lang> becomes ${to}`));
    assert.equal(await page.getAttribute('#langs a[aria-current]', 'hreflang'), to, where(ctx.page, ctx.viewport, `language switcher: ${to} is marked current`));
    const strings = await h.visibleStrings(page);
    const own = strings.filter((s) => s.marked && s.text.length >= 10).map((s) => s.text);
    for (const s of strings) {
      if (s.marked) continue; // says its own language (the petition's English text, language names)
      // <title> cannot carry a lang of its own: it may hold the petition's title.
      if (s.where === 'title' && own.some((t) => s.text.includes(t))) continue;
      if (english.has(s.text) && s.text.replace(SAME_EVERYWHERE, '').replace(/[\d\s.,:;!?()%·—–-]/g, '') !== '') {
        assert.fail(where(ctx.page, ctx.viewport, `language switcher: English UI string left in ${to}: "${s.text}" (${s.where})`));
      }
      const rest = s.text.replace(SAME_EVERYWHERE, '');
      if (/[A-Za-z]{3,}/.test(rest)) {
        assert.fail(where(ctx.page, ctx.viewport, `language switcher: Latin text in ${to} not marked with its language: "${s.text}" (${s.where})`));
      }
    }
    const marked = strings.filter((s) => s.marked && s.lang === 'en').map((s) => s.text);
    return { strings, marked };
  }

  for (const path of ['petition', 'thanks', 'not found']) {
    it(`the language switcher changes every visible string on the ${path} page (en → ru → uk)`, async () => {
      const rec = await h.newPage({ viewport: PHONE });
      const { page } = rec;
      const ctx = { page: `${path} en → ru → uk`, viewport: PHONE };
      try {
        const url = {
          petition: srv.petition(''),
          thanks: srv.url(`/p/${h.SLUG}/thanks?state=pending`),
          'not found': srv.url('/p/no-such-petition'),
        }[path];
        await page.goto(url);
        assert.equal(await page.getAttribute('html', 'lang'), 'en', where(ctx.page, PHONE, 'the page starts in English (Accept-Language en-GB)'));
        const en = await h.visibleStrings(page);
        const english = new Set(en.filter((s) => !s.marked).map((s) => s.text));
        assert.ok(english.size > 5, where(ctx.page, PHONE, `found the English UI strings (${english.size})`));
        const toRu = await switchAndCompare(page, 'ru', english, ctx);
        const toUk = await switchAndCompare(page, 'uk', english, ctx);
        if (path === 'petition') {
          // The petition has no Russian or Ukrainian text: its English original
          // is shown, marked lang="en", with a note saying so.
          assert.ok(toRu.marked.some((t) => t.length > 40) && toUk.marked.some((t) => t.length > 40),
            where(ctx.page, PHONE, 'the petition\'s own English text is marked lang="en"'));
        }
        // The choice sticks (cookie): a page opened without ?lang is in Ukrainian.
        await page.goto(srv.url('/'));
        assert.equal(await page.getAttribute('html', 'lang'), 'uk', where('home', PHONE, 'language switcher: the choice sticks for the next page'));
        assert.equal(h.foreignRequests(rec), '', where(ctx.page, PHONE, 'no request leaves 127.0.0.1'));
      } finally {
        await rec.context.close();
      }
    });
  }

  const long = {
    uk: {
      first: 'Олександра-Святослава-Ярослава-Володимира-Мирослава-Богдана-Всеволода-Станіслава-Любомира-Ростислава'.padEnd(100, 'ї').slice(0, 100),
      last: 'Коломийченко-Вишневецька-Гайдамаченко-Запорожченко-Наливайченко-Сагайдачна-Дорошенко-Мазепинська'.padEnd(100, 'є').slice(0, 100),
      comment: ('Свобода'.repeat(80)).slice(0, 250) + ' ' + 'Слава Україні! Ми вимагаємо звільнення всіх політв\'язнів. '.repeat(10).slice(0, 249),
    },
    en: {
      first: 'Maximiliane-Friederike-Wilhelmine-Hildegard-Adelheid-Walburga-Kunigunde-Theodora-Sieglinde-Ottilie'.padEnd(100, 'e').slice(0, 100),
      last: 'Donaudampfschifffahrtsgesellschaftskapitänswitwe-Rindfleischetikettierungsüberwachungsaufgabenübert'.padEnd(100, 'r').slice(0, 100),
      comment: 'Rechtsschutzversicherungsgesellschaften'.repeat(13).slice(0, 500),
    },
  };

  for (const [lang, who] of Object.entries(long)) {
    it(`a 100-character ${lang === 'uk' ? 'Ukrainian' : 'German'} name and a 500-character comment keep the phone layout (${lang})`, async () => {
      assert.equal([...who.first].length, 100);
      assert.equal([...who.comment].length, 500);
      const rec = await h.newPage({ viewport: PHONE });
      const { page } = rec;
      try {
        await page.goto(srv.petition(lang));
        await page.fill('#first_name', who.first);
        await page.fill('#last_name', who.last);
        await page.fill('#comment', who.comment);
        await page.selectOption('#country', 'DE');
        await page.fill('#email', 'long-name@'); // bad on purpose: the values come back in a 422 page
        await noOverflow(page, { page: `petition ${lang}, long input typed`, viewport: PHONE });
        const [resp] = await Promise.all([
          page.waitForResponse((r) => r.url().endsWith('/sign')),
          page.waitForURL(/\/sign$/, { waitUntil: 'load' }),
          page.click('#sign button[type=submit]'),
        ]);
        const ctx = { page: `petition ${lang}, 422 with long input`, viewport: PHONE };
        assert.equal(resp.status(), 422, where(ctx.page, PHONE, 'the bad email is refused'));
        assert.equal(await page.inputValue('#first_name'), who.first, where(ctx.page, PHONE, 'the 100-character name is kept whole'));
        assert.equal(await page.inputValue('#comment'), who.comment, where(ctx.page, PHONE, 'the 500-character comment is kept whole'));
        await noOverflow(page, ctx);
        await page.fill('#email', `long-${lang}@example.org`);
        await Promise.all([page.waitForURL(/\/thanks\?state=pending$/), page.click('#sign button[type=submit]')]);
        await noOverflow(page, { page: `thanks ${lang} after a long name`, viewport: PHONE });
        assert.equal(h.foreignRequests(rec), '', where(`petition ${lang}`, PHONE, 'no request leaves 127.0.0.1'));
      } finally {
        await rec.context.close();
      }
    });
  }

  it('the server exits cleanly on SIGTERM, without a sanitizer report', () => srv.stop());
});
