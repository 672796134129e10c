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
})();
