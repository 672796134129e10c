/* start.js — optional progressive enhancement of the petition form
   (templates/start.html). The form works the same without it.
   - "Add another decision maker" shows the next empty row, kept until
     then in a <template> (without a script the button sends the form,
     which comes back with one more row).
   - A live preview: after a pause in typing, the text goes to POST
     /preview, which renders it exactly as the petition page will, and the
     answer replaces the preview region (aria-live). The Preview button,
     which otherwise reloads the page, updates the region at once.
   No external requests. */
(function () {
  'use strict';

  var form = document.querySelector('form.start-form');
  if (!form) return;

  var add = document.getElementById('to-add');
  var rows = document.getElementById('to-rows');
  var templates = Array.prototype.slice.call(
    form.querySelectorAll('template.to-row-template'));

  if (add && rows && templates.length &&
      'content' in document.createElement('template')) {
    add.addEventListener('click', function (e) {
      var t = templates.shift();
      if (!t) return; /* none left here: the server adds one */
      e.preventDefault();
      rows.appendChild(document.importNode(t.content, true));
      t.parentNode.removeChild(t);
      var input = rows.lastElementChild &&
        rows.lastElementChild.querySelector('input');
      if (!templates.length) add.hidden = true;
      if (input) input.focus();
    });
  }

  var body = document.getElementById('body');
  var out = document.getElementById('preview');
  var csrf = form.querySelector('input[name="csrf"]');
  var button = document.getElementById('preview-button');
  if (!body || !out || !csrf || !window.fetch) return;

  var empty = out.getAttribute('data-empty') || '';
  var timer = null;
  var sent = null;
  var seq = 0;

  var show = function (html) {
    if (/\S/.test(html)) {
      out.innerHTML = html;
      return;
    }
    var p = document.createElement('p');
    p.className = 'start-preview__empty';
    p.textContent = empty;
    out.textContent = '';
    out.appendChild(p);
  };

  var run = function () {
    timer = null;
    var text = body.value;
    if (text === sent) return;
    sent = text;
    var mine = ++seq;
    fetch('/preview', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'csrf=' + encodeURIComponent(csrf.value) +
        '&body=' + encodeURIComponent(text)
    }).then(function (res) {
      if (res.status !== 200 && res.status !== 422) {
        throw new Error('preview ' + res.status);
      }
      return res.text();
    }).then(function (html) {
      if (mine === seq) show(html);
    }).catch(function () {
      /* Try again on the next change; the button still reloads. */
      if (mine === seq) sent = null;
    });
  };

  body.addEventListener('input', function () {
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, 400);
  });

  if (button) {
    button.addEventListener('click', function (e) {
      e.preventDefault();
      if (timer) clearTimeout(timer);
      sent = null;
      run();
    });
  }

  /* An edited petition opens with its text: show it rendered. */
  if (/\S/.test(body.value) && out.querySelector('.start-preview__empty')) {
    run();
  }
})();
