// harness.js - starts the real holos binary (and the test SMTP server) on
// loopback, launches Debian's Chromium through playwright-core, and offers
// the helpers every browser test shares: keyboard travel, visible text, mail.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const nodeTest = require('node:test');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '..', '..', '..');
// Servers and `holos user add` hash passwords with 8 MiB, not 64 (the
// tests sign in many times; the cost is the same code with another number).
process.env.HOLOS_PASSWORD_MEMORY = process.env.HOLOS_PASSWORD_MEMORY || '8';
const BIN = path.resolve(ROOT, process.env.HOLOS_BIN || 'build/asan/holos');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SLUG = 'kremlin-prisoners-covid19';
const PHONE = { width: 360, height: 740 };
const DESKTOP = { width: 1280, height: 900 };
const SANITIZER = /AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer/;

// "page, viewport, rule": every failure message starts with where it happened.
function where(page, viewport, rule) {
  const vp = typeof viewport === 'string' ? viewport : `${viewport.width}x${viewport.height}`;
  return `[page ${page} | viewport ${vp} | ${rule}]`;
}

// Temporary folders and the server's copy are named without "holos": on a
// shared machine another suite's clean-up by name (pkill -f holos) must not
// end this one's server mid-run.
function tmpdir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `hbt-${prefix}-`));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// GET on loopback without a browser; resolves { status, headers, body }.
function fetchRaw(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, timeout: 5000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
  });
}

// Waits until the child prints a line matching re; resolves the match.
function waitForLine(child, re, what, ms = 10000) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not print ${re} within ${ms} ms: ${buf}`)), ms);
    const onData = (d) => {
      buf += d.toString();
      const m = buf.match(re);
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(m);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) before it was ready: ${buf}`));
    });
  });
}

// The test SMTP server (tests/smtp/smtpd.py); messages land in maildir/new/N.eml.
async function startSmtp() {
  const maildir = tmpdir('mail');
  const child = spawn('/usr/bin/python3', [path.join(ROOT, 'tests/smtp/smtpd.py'), '--port', '0', '--maildir', maildir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const m = await waitForLine(child, /ready (\d+)/, 'smtpd.py').catch((e) => {
    throw new Error(`${e.message}\n${stderr}`);
  });
  const port = Number(m[1]);
  return {
    port,
    maildir,
    url: `smtp://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      fs.rmSync(maildir, { recursive: true, force: true });
    },
  };
}

// The real holos binary, as tests/e2e/harness.c starts it; ready once /healthz says 200.
async function startHolos(extra = []) {
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run make asan (or make test)`);
  const data = tmpdir('data');
  // A copy, so that a rebuild of build/ during the run does not change it.
  const bin = path.join(data, 'hbt-server');
  fs.copyFileSync(BIN, bin);
  fs.chmodSync(bin, 0o755);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const logPath = path.join(data, 'holos.log');
  const log = fs.openSync(logPath, 'a');
  const child = spawn(bin, ['serve', '--listen', `127.0.0.1:${port}`, '--data', data,
    '--share', ROOT, '--seed', path.join(ROOT, 'seed/petition.md'), ...extra], {
    cwd: ROOT,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      // One browser signs many times a minute from 127.0.0.1: the abuse
      // limits are the end-to-end tests' business, not these.
      HOLOS_RATE_LIMIT: 'off',
      // Moderators here sign in with a password alone: the second factor
      // is tested end to end (tests/e2e/e2e_guard.c).
      HOLOS_REQUIRE_2FA: 'off',
      ASAN_OPTIONS: process.env.ASAN_OPTIONS || 'detect_leaks=1:halt_on_error=1',
      UBSAN_OPTIONS: process.env.UBSAN_OPTIONS || 'print_stacktrace=1:halt_on_error=1',
    },
  });
  fs.closeSync(log);
  let stopping = false;
  let died = '';
  child.once('exit', (code, sig) => {
    if (!stopping) {
      died = `holos (pid ${child.pid}) exited by itself mid-test (${code ?? sig})`;
      process.stderr.write(`${died}\n`);
    }
  });
  const readLog = () => { try { return fs.readFileSync(logPath, 'utf8'); } catch { return ''; } };
  const deadline = Date.now() + 15000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`holos exited (${child.exitCode}) before /healthz answered:\n${readLog()}`);
    try {
      const r = await fetchRaw(`${base}/healthz`);
      if (r.status === 200) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`holos did not answer /healthz within 15 s:\n${readLog()}`);
    }
    await sleep(50);
  }
  let stopped = null;
  const stopNow = async () => {
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10000);
      await new Promise((r) => child.once('exit', r));
      clearTimeout(t);
    }
    const text = readLog();
    fs.rmSync(data, { recursive: true, force: true });
    if (died) throw new Error(`${died}:\n${text}`);
    if (child.exitCode !== 0) throw new Error(`holos exited with ${child.exitCode ?? child.signalCode} after SIGTERM:\n${text}`);
    if (SANITIZER.test(text)) throw new Error(`holos log has a sanitizer report:\n${text}`);
  };
  return {
    base,
    data,
    url: (p) => base + p,
    petition: (lang) => `${base}/p/${SLUG}${lang ? `?lang=${lang}` : ''}`,
    log: readLog,
    // Stops with SIGTERM; throws when the server did not exit cleanly, had
    // died before, or a sanitizer spoke. Calling it again gives the same answer.
    stop() {
      if (stopped === null) stopped = stopNow();
      return stopped;
    },
  };
}

let shared = null;

// Debian's Chromium with the flags this machine needs and a fresh profile: one
// browser per test file (node --test runs each file in its own process);
// contexts are cheap and isolated.
async function browser() {
  if (shared === null) {
    // launch() starts Chromium with a new empty --user-data-dir of its own
    // and removes it on close.
    const b = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--disable-dev-shm-usage'],
    }).catch((e) => {
      throw new Error(`cannot start ${CHROMIUM} (run sh scripts/browser-deps.sh): ${e.message}`);
    });
    shared = b;
  }
  return shared;
}

async function closeBrowser() {
  if (shared !== null) {
    await shared.close();
    shared = null;
  }
}

// A new context: a viewport, JavaScript on or off, and a record of every request
// it made so a test can insist that nothing left 127.0.0.1.
async function newPage({ viewport = PHONE, js = true, locale = 'en-GB' } = {}) {
  const b = await browser();
  const context = await b.newContext({
    viewport,
    javaScriptEnabled: js,
    locale,
    deviceScaleFactor: 1,
    isMobile: false,
    hasTouch: false,
    reducedMotion: 'reduce',
  });
  const requests = [];
  const foreign = [];
  context.on('request', (req) => {
    const u = req.url();
    requests.push(u);
    if (!/^(data:|about:)/.test(u) && new URL(u).hostname !== '127.0.0.1') foreign.push(u);
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  current = { page, viewport };
  return { context, page, requests, foreign };
}

// The page a test is on, for errors that are not our own assertions.
let current = null;

// node:test's it(), but an error that does not already say where it happened
// (a Playwright timeout, a missing element) is given the page the test was
// on, its viewport and the failing call, so every failure names all three.
function it(name, fn) {
  return nodeTest.it(name, async (t) => {
    current = null;
    try {
      await fn(t);
    } catch (e) {
      if (e && typeof e.message === 'string' && !e.message.startsWith('[page ')) {
        let pg = 'no page yet';
        let vp = '-';
        if (current) {
          try { const u = new URL(current.page.url()); pg = u.pathname + u.search; } catch { pg = current.page.url(); }
          vp = current.viewport;
        }
        e.message = `${where(pg, vp, `step failed: ${e.message.split('\n')[0]}`)}\n${e.message}`;
      }
      throw e;
    }
  });
}

// Tells it() which page a test is on (newPage() does so itself).
function use(rec) {
  current = { page: rec.page, viewport: rec.page.viewportSize() };
  return rec;
}

// Presses Tab until the focused element matches selector; returns the number of
// presses. Fails if it is not reached: that element is not keyboard-reachable.
async function tabTo(page, selector, max = 80) {
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement && document.activeElement.matches(s), selector)) return i;
  }
  throw new Error(`Tab did not reach ${selector} in ${max} presses`);
}

// What the focused element is, for messages.
function focusedDescription(page) {
  return page.evaluate(() => {
    const e = document.activeElement;
    if (!e) return 'nothing';
    return `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.getAttribute('href') ? `[href=${e.getAttribute('href')}]` : ''}`;
  });
}

// Types text as key presses where the US layout has the key, and otherwise as a
// key press carrying the character (a phone or a non-US keyboard), so that a
// <select>'s type-ahead sees real character events.
async function typeKeys(page, text) {
  const cdp = await page.context().newCDPSession(page);
  for (const ch of text) {
    if (/^[\x20-\x7e]$/.test(ch)) {
      await page.keyboard.press(ch === ' ' ? 'Space' : ch);
    } else {
      await cdp.send('Input.dispatchKeyEvent', { type: 'keyDown', key: ch, text: ch, unmodifiedText: ch });
      await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', key: ch });
    }
  }
  await cdp.detach();
}

// Visible text of the page, grouped by the language it is marked with: each
// entry is { text, lang } where lang is the nearest lang attribute. Includes
// the title, aria-labels, the selected option of each select and button values.
function visibleStrings(page) {
  return page.evaluate(() => {
    const out = [];
    // lang: the nearest lang attribute; marked: it is not the page's own
    // (<html lang>), i.e. the text says which language it is in itself.
    const langOf = (el) => {
      const l = el && el.closest('[lang]');
      return l ? l.getAttribute('lang') : '';
    };
    const markedOf = (el) => {
      const l = el && el.closest('[lang]');
      return !!l && l !== document.documentElement;
    };
    const visible = (el) => {
      if (!el) return false;
      if (el.closest('.vh')) return true; // visually hidden text is read aloud: it counts
      return el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const t = n.nodeValue.replace(/\s+/g, ' ').trim();
      const el = n.parentElement;
      // <progress> text is fallback content, never drawn.
      if (!t || !el || el.closest('script,style,template,option,textarea,progress,meter')) continue;
      if (!visible(el)) continue;
      out.push({ text: t, lang: langOf(el), marked: markedOf(el), where: el.tagName.toLowerCase() + (el.className ? `.${String(el.className).split(' ')[0]}` : '') });
    }
    for (const el of document.querySelectorAll('[aria-label],[title],[placeholder],[alt]')) {
      for (const a of ['aria-label', 'title', 'placeholder', 'alt']) {
        const v = el.getAttribute(a);
        if (v && v.trim()) out.push({ text: v.trim(), lang: langOf(el), marked: markedOf(el), where: `@${a}` });
      }
    }
    for (const s of document.querySelectorAll('select')) {
      const o = s.selectedOptions[0];
      if (o && visible(s)) out.push({ text: o.textContent.trim(), lang: langOf(o), marked: markedOf(o), where: 'option' });
    }
    out.push({ text: document.title, lang: document.documentElement.lang, marked: false, where: 'title' });
    return out;
  });
}

// Horizontal overflow of the document and the elements that stick out.
function overflow(page) {
  return page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const sw = document.documentElement.scrollWidth;
    const wide = [];
    if (sw > window.innerWidth) {
      for (const el of document.body.querySelectorAll('*')) {
        const r = el.getBoundingClientRect();
        if (r.right > vw + 0.5 && r.width > 0) wide.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className ? `.${String(el.className).split(' ')[0]}` : ''} right=${Math.round(r.right)}`);
      }
    }
    return { scrollWidth: sw, innerWidth: window.innerWidth, clientWidth: vw, wide: wide.slice(0, 8) };
  });
}

// The message files the SMTP server has stored, oldest first.
function mailFiles(smtp) {
  const dir = path.join(smtp.maildir, 'new');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.eml'))
    .sort((a, b) => parseInt(a, 10) - parseInt(b, 10)).map((f) => path.join(dir, f));
}

// Decodes a MIME message well enough to find links: every text part, with
// quoted-printable and base64 bodies decoded.
function decodeMail(raw) {
  const texts = [];
  const walk = (part) => {
    const sep = part.search(/\r?\n\r?\n/);
    const head = sep < 0 ? part : part.slice(0, sep);
    let body = sep < 0 ? '' : part.slice(sep).replace(/^\r?\n\r?\n/, '');
    const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
    const ctype = (unfolded.match(/^content-type:\s*([^\r\n]*)/im) || [, 'text/plain'])[1];
    const cte = ((unfolded.match(/^content-transfer-encoding:\s*(\S+)/im) || [, '7bit'])[1]).toLowerCase();
    const bm = ctype.match(/boundary="?([^";]+)"?/i);
    if (/^multipart\//i.test(ctype) && bm) {
      const parts = body.split(`--${bm[1]}`).slice(1);
      for (const p of parts) {
        if (p.startsWith('--')) break;
        walk(p.replace(/^\r?\n/, ''));
      }
      return;
    }
    if (cte === 'quoted-printable') {
      body = Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
    } else if (cte === 'base64') {
      body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    }
    texts.push({ type: ctype.split(';')[0].trim().toLowerCase(), body });
  };
  walk(raw);
  return { head: raw.slice(0, raw.search(/\r?\n\r?\n/)), texts };
}

// Waits for message number n (from 1) and returns the confirmation link in it.
async function confirmationLink(smtp, base, n = 1, ms = 15000) {
  const file = path.join(smtp.maildir, 'new', `${n}.eml`);
  const deadline = Date.now() + ms;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`no mail ${n}.eml arrived at the test SMTP server within ${ms} ms`);
    await sleep(50);
  }
  const mail = decodeMail(fs.readFileSync(file, 'utf8'));
  const esc = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  for (const t of mail.texts) {
    const m = t.body.match(new RegExp(`${esc}/c/[A-Za-z0-9_-]+`));
    if (m) return { link: m[0], mail };
  }
  throw new Error(`mail ${n}.eml holds no ${base}/c/TOKEN link:\n${mail.texts.map((t) => t.body).join('\n---\n')}`);
}

// The plain strings of a language catalogue (locales/LANG.json).
const catalogues = {};
function strings(lang) {
  if (!catalogues[lang]) catalogues[lang] = JSON.parse(fs.readFileSync(path.join(ROOT, 'locales', `${lang}.json`), 'utf8'));
  return catalogues[lang];
}

// Runs axe-core (the pinned npm package) in the page. It is evaluated through
// the DevTools protocol, so the site's Content-Security-Policy, which allows
// only its own scripts, does not have to be loosened for the test.
let axeSource = null;
async function axe(page) {
  if (axeSource === null) axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  return page.evaluate(() => window.axe.run(document, {
    resultTypes: ['violations', 'incomplete'],
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
  }));
}

// Requests that left 127.0.0.1, as a failure message or ''.
function foreignRequests(rec) {
  return rec.foreign.length ? `requests to another host: ${rec.foreign.join(', ')}` : '';
}

module.exports = {
  strings, axe, foreignRequests,
  ROOT, SLUG, PHONE, DESKTOP,
  where, it, use, sleep, fetchRaw, startSmtp, startHolos, browser, closeBrowser, newPage,
  tabTo, focusedDescription, typeKeys, visibleStrings, overflow, confirmationLink, mailFiles, decodeMail,
};
