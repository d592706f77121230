// Sorts and filters the findings table. Each finding is one <tbody> (its
// row and its details), so sorting moves whole tbodies; the data-*
// attributes on it hold the sort keys. Without this script the page still
// shows everything, in the writer's order.
(function () {
  'use strict';
  var table = document.getElementById('findings');
  var form = document.getElementById('filters');
  var shown = document.getElementById('shown');
  if (!table || !form || !shown) {
    return;
  }
  var rows = Array.prototype.filter.call(table.tBodies, function (b) {
    return b.classList.contains('finding');
  });
  var text = rows.map(function (b) { return b.textContent.toLowerCase(); });
  rows.forEach(function (b, i) { b.dataset.index = String(i); });
  var severity = document.getElementById('f-severity');
  var status = document.getElementById('f-status');
  var search = document.getElementById('f-text');
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);

  function filter() {
    var sev = severity.value, st = status.value, q = search.value.trim().toLowerCase();
    var n = 0;
    rows.forEach(function (b) {
      var ok = (!sev || b.dataset.severity === sev) &&
        (!st || b.dataset.statusName === st) &&
        (!q || text[Number(b.dataset.index)].indexOf(q) !== -1);
      b.hidden = !ok;
      if (ok) { n++; }
    });
    shown.textContent = n + ' of ' + rows.length + ' findings shown.';
  }

  function sortBy(th) {
    var key = th.dataset.key, numeric = th.dataset.type === 'num';
    // A first click sorts severity and status from the most pressing,
    // text columns from A; a second click on the same header reverses.
    var current = th.getAttribute('aria-sort');
    var dir;
    if (current === 'ascending') { dir = 'descending'; }
    else if (current === 'descending') { dir = 'ascending'; }
    else { dir = key === 'sev' ? 'descending' : 'ascending'; }
    var sign = dir === 'ascending' ? 1 : -1;
    rows.sort(function (a, b) {
      var x = a.dataset[key] || '', y = b.dataset[key] || '', c;
      if (numeric) { c = Number(x) - Number(y); }
      else { c = x < y ? -1 : (x > y ? 1 : 0); }
      return c * sign || Number(a.dataset.index) - Number(b.dataset.index);
    });
    rows.forEach(function (b) { table.appendChild(b); });
    headers.forEach(function (h) {
      if (h === th) { h.setAttribute('aria-sort', dir); } else { h.removeAttribute('aria-sort'); }
    });
  }

  headers.forEach(function (th) {
    var button = th.querySelector('button');
    if (button) {
      button.addEventListener('click', function () { sortBy(th); });
    }
  });
  form.addEventListener('submit', function (e) { e.preventDefault(); });
  [severity, status].forEach(function (el) { el.addEventListener('change', filter); });
  search.addEventListener('input', filter);
  form.hidden = false;
  filter();
})();
