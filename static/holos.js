/* holos.js — optional progressive enhancement. The site works without it.
   - "Copy link" button next to the share URL (the button is hidden without JS).
   - A sign bar at the bottom of a phone's screen while the form is out of
     sight.
   - After a failed submission, moves focus to the first field to correct
     (its label and error are read out through aria-describedby), with the
     error summary scrolled into view above it; errors that belong to no
     field (an expired form) put focus on the summary itself.
   - On a petition's page and its thank-you page, keeps the count, the
     progress bar and the next goal up to date from /p/SLUG/events
     (Server-Sent Events; without JS the page shows the count it was served
     with).
   No external requests. */
(function () {
  'use strict';

  var input = document.getElementById('share-url');
  var btn = document.getElementById('copy-link');
  var status = document.getElementById('copy-status');

  if (input && btn) {
    input.addEventListener('focus', function () { input.select(); });

    var done = function () {
      if (status) status.textContent = btn.getAttribute('data-copied') || '';
    };
    var fallback = function () {
      input.focus();
      input.select();
      try {
        if (document.execCommand('copy')) done();
      } catch (e) { /* the text stays selected for a manual copy */ }
    };

    btn.addEventListener('click', function () {
      if (status) status.textContent = '';
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, fallback);
      } else {
        fallback();
      }
    });
    btn.hidden = false;
  }

  /* The sign bar at the bottom of a phone's screen: shown while the form
     is out of sight, gone once it is in view (wide screens never show it:
     the form stays beside the text there). */
  var signbar = document.getElementById('signbar');
  var form = document.getElementById('sign');
  if (signbar && form && 'IntersectionObserver' in window) {
    /* In view: its heading and first field, not just its top edge. */
    new IntersectionObserver(function (seen) {
      signbar.hidden = seen[seen.length - 1].isIntersecting;
    }, { rootMargin: '0px 0px -120px 0px' }).observe(form);
  }

  var count = document.getElementById('count');
  var page = location.pathname.match(/^\/p\/([a-z0-9-]+)(?:\/thanks)?$/);
  if (count && page && window.EventSource) {
    var bar = document.querySelector('progress.bar');
    var lang = document.documentElement.getAttribute('lang');
    var live = new EventSource('/p/' + page[1] + '/events' +
      (lang ? '?lang=' + encodeURIComponent(lang) : ''));
    live.onmessage = function (e) {
      var d;
      try { d = JSON.parse(e.data); } catch (x) { return; }
      /* Others on the page (static/social.js) read the same event. */
      document.dispatchEvent(new CustomEvent('holos:live', { detail: d }));
      if (typeof d.count_line === 'string' && count.textContent !== d.count_line) {
        count.textContent = d.count_line;
      }
      if (bar && typeof d.count === 'number' && typeof d.next_goal === 'number') {
        bar.max = d.next_goal;
        bar.value = d.count;
        bar.textContent = d.progress + '%';
      }
    };
  }

  var summary = document.getElementById('error-summary');
  if (summary) {
    var bad = document.querySelector('form [aria-invalid="true"]');
    var top = summary.getBoundingClientRect().top;
    if (bad && bad.getBoundingClientRect().bottom - top <= window.innerHeight - 32) {
      summary.scrollIntoView({ block: 'start' });
      bad.focus({ preventScroll: true });
    } else if (bad) {
      bad.focus();
    } else {
      summary.focus();
    }
  }
})();
