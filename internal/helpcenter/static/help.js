// balie help center: optional enhancements. Everything works without this
// script; it adds search-as-you-type suggestions (articles, and on the
// contact page guided flows too), a button that opens the chat widget, and
// on the contact page a note of which contact option was chosen and a known
// chat visitor's earlier questions.
(function () {
  'use strict';

  function suggest(input) {
    var list = document.getElementById(input.getAttribute('aria-controls'));
    var url = input.getAttribute('data-suggest');
    // On the contact page a suggestion goes through the page, which
    // records the question before it opens the answer.
    var open = input.getAttribute('data-open');
    if (!list || !url) return;
    var timer = 0, seq = 0, active = -1;

    function clear() {
      list.textContent = '';
      list.hidden = true;
      active = -1;
      input.setAttribute('aria-expanded', 'false');
    }
    function items() { return list.querySelectorAll('a'); }
    function select(i) {
      var all = items();
      if (!all.length) return;
      active = (i + all.length) % all.length;
      for (var j = 0; j < all.length; j++) all[j].setAttribute('aria-selected', j === active ? 'true' : 'false');
      input.setAttribute('aria-activedescendant', all[active].id);
    }
    function show(data, q) {
      list.textContent = '';
      list.setAttribute('data-q', q); // which query the list answers
      active = -1;
      if (!data || !data.length) { clear(); return; }
      data.forEach(function (s, i) {
        var li = document.createElement('li');
        li.setAttribute('role', 'presentation');
        var a = document.createElement('a');
        a.href = open ? open + '?q=' + encodeURIComponent(q) + '&open=' + encodeURIComponent(s.url) : s.url;
        a.id = list.id + '-' + i;
        a.setAttribute('role', 'option');
        a.textContent = s.title; // text, never HTML
        if (s.kind === 'flow') a.className = 'suggest-flow';
        li.appendChild(a);
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
    }
    input.addEventListener('input', function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { clear(); return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch(url + (url.indexOf('?') < 0 ? '?' : '&') + 'q=' + encodeURIComponent(q), { headers: { Accept: 'application/json' } })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (d) { if (mine === seq) show(d, q); })
          .catch(function () { /* suggestions are a nicety */ });
      }, 150);
    });
    input.addEventListener('keydown', function (e) {
      if (list.hidden) return;
      if (e.key === 'ArrowDown') { e.preventDefault(); select(active + 1); }
      else if (e.key === 'ArrowUp') { e.preventDefault(); select(active - 1); }
      else if (e.key === 'Escape') { clear(); }
      else if (e.key === 'Enter' && active >= 0) { e.preventDefault(); location.href = items()[active].href; }
    });
    // Some input methods submit the form even when keydown was cancelled:
    // with a suggestion chosen, the form goes to it rather than to search.
    if (input.form) {
      input.form.addEventListener('submit', function (e) {
        if (!list.hidden && active >= 0 && items()[active]) {
          e.preventDefault();
          location.href = items()[active].href;
        }
      });
    }
    document.addEventListener('click', function (e) {
      if (e.target !== input && !list.contains(e.target)) clear();
    });
  }

  function chatButtons() {
    var buttons = document.querySelectorAll('[data-open-chat]');
    if (!buttons.length) return;
    function launcher() {
      var host = document.querySelector('[data-balie]');
      var root = host && (host.shadowRoot || host);
      return root && root.querySelector('[data-testid="balie-launcher"]');
    }
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].hidden = false;
      buttons[i].addEventListener('click', function () {
        var l = launcher();
        if (l && l.getAttribute('aria-expanded') !== 'true') l.click();
      });
    }
  }

  // chosen tells the contact page which option the customer took, for the
  // count of visits that still needed contact.
  function chosen() {
    var box = document.querySelector('[data-chosen]');
    if (!box || !navigator.sendBeacon) return;
    var token = box.getAttribute('data-token');
    if (!token) return;
    var sent = false;
    box.addEventListener('click', function (e) {
      var el = e.target.closest ? e.target.closest('[data-option]') : null;
      if (!el || sent) return;
      sent = true;
      var body = new URLSearchParams();
      body.set('token', token);
      body.set('option', el.getAttribute('data-option'));
      if (box.getAttribute('data-cv')) body.set('cv', box.getAttribute('data-cv'));
      navigator.sendBeacon(box.getAttribute('data-chosen'), body);
    });
  }

  // cases shows a chat visitor their questions on the contact page. The
  // widget keeps its visitor token in this origin's localStorage under
  // 'balie:' + the inbox key (see load() in widget.js); without one,
  // nothing is asked and the section stays hidden.
  var STATUSES = ['open', 'pending', 'snoozed', 'resolved'];
  function cases() {
    var box = document.querySelector('[data-cases]');
    if (!box || !window.fetch) return;
    var inbox = box.getAttribute('data-inbox') || '';
    var token = '';
    try { token = window.localStorage.getItem('balie:' + inbox) || ''; } catch (e) { return; }
    if (!inbox || !/^[0-9a-f]{64}$/.test(token)) return;
    var url = box.getAttribute('data-cases') + '?inbox=' + encodeURIComponent(inbox) + '&token=' + encodeURIComponent(token);
    fetch(url, { headers: { Accept: 'application/json' }, credentials: 'omit' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) { if (d && d.items && d.items.length) showCases(box, d.items); })
      .catch(function () { /* the list is a nicety */ });
  }
  // day writes a date the way the page's language does: "12 maart", with
  // the year when it is not this year's.
  function day(box, d) {
    var months = (box.getAttribute('data-months') || '').split(',');
    if (months.length !== 12) return d.toLocaleDateString();
    var s = d.getDate() + ' ' + months[d.getMonth()];
    return d.getFullYear() === new Date().getFullYear() ? s : s + ' ' + d.getFullYear();
  }
  function showCases(box, items) {
    var list = box.querySelector('.case-list');
    if (!list) return;
    var title = box.getAttribute('data-t-title') || '{date}';
    list.textContent = '';
    items.forEach(function (c) {
      var at = new Date(c.created_at);
      if (isNaN(at.getTime())) return;
      var status = STATUSES.indexOf(c.status) >= 0 ? c.status : 'open';
      var li = document.createElement('li');
      li.className = 'case';
      var head = document.createElement('span');
      head.className = 'case-title';
      head.textContent = title.replace('{date}', day(box, at)); // text, never HTML
      var st = document.createElement('span');
      st.className = 'case-status case-' + status;
      st.textContent = box.getAttribute('data-t-' + status) || status;
      li.appendChild(head);
      li.appendChild(document.createTextNode(' — '));
      li.appendChild(st);
      if (c.subject_or_preview) {
        var sub = document.createElement('span');
        sub.className = 'case-subject';
        sub.textContent = String(c.subject_or_preview);
        li.appendChild(sub);
      }
      list.appendChild(li);
    });
    box.hidden = !list.children.length;
  }

  function init() {
    var inputs = document.querySelectorAll('input[data-suggest]');
    for (var i = 0; i < inputs.length; i++) suggest(inputs[i]);
    chatButtons();
    chosen();
    cases();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
