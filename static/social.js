/* social.js - social proof on a petition's page (docs/social.md), a
 * progressive enhancement: the recent signers follow the live events
 * (holos.js passes each on as a "holos:live" event), and a like is sent
 * without leaving the page. Without it the list is as the page was
 * rendered and a like is a form that comes back to the page. */
(function () {
  'use strict';

  var list = document.getElementById('recent-signers');
  var section = document.getElementById('recent');
  var shown = '';

  document.addEventListener('holos:live', function (e) {
    var d = e.detail;
    if (!list || !d || !Array.isArray(d.recent)) return;
    var key = JSON.stringify(d.recent);
    if (key === shown) return;
    shown = key;
    var items = document.createDocumentFragment();
    d.recent.forEach(function (s) {
      if (!s || typeof s.name !== 'string' || typeof s.country_name !== 'string') return;
      var li = document.createElement('li');
      var name = document.createElement('span');
      var country = document.createElement('span');
      name.className = 'recent__name';
      name.textContent = s.name;
      country.className = 'recent__country';
      country.textContent = s.country_name;
      li.appendChild(name);
      li.appendChild(document.createTextNode(', '));
      li.appendChild(country);
      items.appendChild(li);
    });
    while (list.firstChild) list.removeChild(list.firstChild);
    list.appendChild(items);
    if (section) section.hidden = list.children.length === 0;
  });

  /* A like without leaving the page: the same form, answered in JSON. */
  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!form.classList || !form.classList.contains('comment__like') || !window.fetch) return;
    e.preventDefault();
    var button = form.querySelector('button');
    if (button) button.disabled = true;
    fetch(form.action, {
      method: 'POST',
      headers: { Accept: 'application/json' },
      body: new URLSearchParams(new FormData(form)),
      credentials: 'same-origin'
    }).then(function (res) {
      if (!res.ok) throw new Error(res.status);
      return res.json();
    }).then(function (d) {
      var id = String(d.id);
      document.querySelectorAll('.comment__like input[name=id]').forEach(function (input) {
        if (input.value !== id) return;
        var f = input.form;
        var likes = f.querySelector('.comment__likes');
        var b = f.querySelector('button');
        if (likes && typeof d.likes_text === 'string') likes.textContent = d.likes_text;
        if (b) {
          b.disabled = true;
          b.setAttribute('aria-pressed', 'true');
        }
      });
    }).catch(function () {
      /* Refused (too many likes, a stale page): the form's own way. */
      form.submit();
    });
  });
})();
