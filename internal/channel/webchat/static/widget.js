/* balie web chat widget. Dependency-free; served by balie at /widget.js.
   Embed: <script src="https://balie.example/widget.js" data-inbox="KEY" async></script>
   Optional: data-locale="nl|en", data-color="#1f5fbf", data-identity-token="..."
   (a signed identity token from the company's site, see docs/channels.md;
   or call Balie.identify(token) later; Balie.logout() on the site's logout,
   or an empty data-identity-token, signs the browser out).
   Every text from customers, agents or the server is inserted with
   textContent, never as HTML (web addresses in replies become anchors built
   here, see linked()); the one exception is a help article's body,
   sanitised by balie and cleaned again here (see art()).
   The panel opens on help (FAQ of this page, search, articles) with the
   chat beside it. */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script) {
    var all = document.querySelectorAll('script[data-inbox]');
    script = all[all.length - 1];
  }
  if (!script || window.__balieWidget) return;
  window.__balieWidget = true;

  var inbox = script.getAttribute('data-inbox');
  if (!inbox) return;
  var base = new URL(script.src, location.href).origin;
  var HEX = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i;
  var color = HEX.test(script.getAttribute('data-color') || '') ? script.getAttribute('data-color') : '';
  var lang = pickLocale();
  var KEY = 'balie:' + inbox;
  var MAX_UPLOAD = 10 * 1024 * 1024;
  var PAGE = location.pathname.slice(0, 500);
  // The help view's texts live here, not in the session's strings: help
  // must work before (and without) a session.
  var S = lang === 'nl'
    ? { title: 'Chat met ons', open: 'Chat openen', close: 'Chat sluiten', placeholder: 'Typ je bericht…', send: 'Versturen', attach: 'Bestand bijvoegen',
      search: 'Zoek in ons helpcentrum', find: 'Zoeken', faq: 'Veelgestelde vragen', results: 'Resultaten voor “{q}”', found: '{n} resultaten', none: 'Niets gevonden. Probeer andere woorden, of chat met ons.',
      sugs: '{n} suggesties, pijltje omlaag om te kiezen', chat: 'Nog hulp nodig? Chat met ons', back: 'Terug', helpful: 'Heb je hier iets aan gehad?', yes: 'Ja', no: 'Nee', thanks: 'Bedankt voor je reactie!', about: 'Over “{title}”: ', failed: 'Dat lukte niet. Probeer het opnieuw.',
      bot: 'Digitale assistent', choose: 'Kies een antwoord', dismiss: 'Bericht sluiten', orders: 'Mijn bestellingen', colleague: 'Chat met een collega', about_order: 'Over bestelling {n}: ' }
    : { title: 'Chat with us', open: 'Open chat', close: 'Close chat', placeholder: 'Type your message…', send: 'Send', attach: 'Attach a file',
      search: 'Search our help center', find: 'Search', faq: 'Frequently asked', results: 'Results for “{q}”', found: '{n} results', none: 'Nothing found. Try other words, or chat with us.',
      sugs: '{n} suggestions, arrow down to choose', chat: 'Still need help? Chat with us', back: 'Back', helpful: 'Was this helpful?', yes: 'Yes', no: 'No', thanks: 'Thanks for your feedback!', about: 'About “{title}”: ', failed: 'That did not work. Please try again.',
      bot: 'Virtual assistant', choose: 'Choose an answer', dismiss: 'Dismiss message', orders: 'My orders', colleague: 'Chat with a colleague', about_order: 'About order {n}: ' };

  var st = {
    token: load(), conv: 0, status: '', seen: {}, open: false, ws: null, backoff: 1000,
    online: true, detailsKnown: false, asked: false, unread: 0, session: null,
    typingSent: 0, typingTimer: 0, theirTypingTimer: 0, retry: 0,
    view: '', touched: false, faq: null, art: null, seq: 0, sugT: 0
  };

  function pickLocale() {
    var l = script.getAttribute('data-locale') || document.documentElement.lang || navigator.language || 'en';
    return l.toLowerCase().indexOf('nl') === 0 ? 'nl' : 'en';
  }
  // kv reads (v absent) or writes a key of local or session storage; in
  // private mode or with storage blocked it forgets, and the page goes on.
  function kv(area, k, v) {
    try { area = window[area + 'Storage']; return v == null ? area.getItem(KEY + k) : area.setItem(KEY + k, v); } catch (e) { return null; }
  }
  function load() { return kv('local', '') || ''; }
  function save(t) { kv('local', '', t); }
  function t(k, vars) {
    var s = S[k] || k;
    for (var v in vars || {}) s = s.split('{' + v + '}').join(vars[v]);
    return s;
  }
  function id() {
    var a = new Uint8Array(12);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }
  // Pick black or white text for the brand colour, whichever contrasts more.
  function ink(hex) {
    var h = hex.slice(1);
    if (h.length === 3) h = h.replace(/./g, '$&$&');
    var c = [0, 2, 4].map(function (i) {
      var v = parseInt(h.substr(i, 2), 16) / 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    var L = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    return L > 0.179 ? '#111' : '#fff';
  }

  // ---- DOM: a shadow root keeps the host page's styles out and ours in.
  var host = document.createElement('div');
  host.setAttribute('data-balie', '');
  var root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
  var css = document.createElement('style');
  root.appendChild(css);
  function paint() {
    var c = color || '#1f5fbf';
    css.textContent =
      ':host{all:initial}*{box-sizing:border-box;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}' +
      '.l{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;cursor:pointer;background:' + c + ';color:' + ink(c) + ';box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483646;display:flex;align-items:center;justify-content:center}' +
      '.l:focus-visible,button:focus-visible,textarea:focus-visible,input:focus-visible,a:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}' +
      '.l svg{width:28px;height:28px;fill:currentColor}' +
      '.b{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;border-radius:10px;background:#c62828;color:#fff;font-size:12px;line-height:20px;text-align:center;padding:0 5px}' +
      '.p{position:fixed;right:20px;bottom:88px;width:370px;max-width:calc(100vw - 40px);height:560px;max-height:calc(100vh - 110px);background:#fff;color:#1a1a1a;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.3);display:flex;flex-direction:column;overflow:hidden;z-index:2147483647;font-size:15px;line-height:1.4}' +
      '.p[hidden],[hidden]{display:none!important}' +
      '.h{display:flex;align-items:center;justify-content:space-between;padding:12px 14px;background:' + c + ';color:' + ink(c) + '}' +
      '.h h2{flex:1;margin:0;font-size:17px;font-weight:600}' +
      '.x{background:transparent;border:0;color:inherit;font-size:26px;line-height:1;cursor:pointer;width:36px;height:36px;border-radius:6px}' +
      '.s{padding:6px 14px;font-size:13px;background:#fff4d6;color:#4d3800}.s:empty{display:none}' +
      '.m{list-style:none;margin:0;padding:12px;flex:1;overflow-y:auto;display:flex;flex-direction:column;gap:8px;background:#f6f7f9}' +
      '.e{color:#4a4a4a;font-size:14px;text-align:center;margin:auto 8px}' +
      '.g{max-width:85%;padding:8px 11px;border-radius:12px;background:#fff;border:1px solid #dde1e6;align-self:flex-start;white-space:pre-wrap;overflow-wrap:anywhere}' +
      '.g.me{align-self:flex-end;background:' + c + ';color:' + ink(c) + ';border-color:transparent}' +
      '.n{font-size:12px;font-weight:600;margin-bottom:2px}.k{font-size:11px;opacity:.8;margin-top:3px;text-align:right}' +
      '.g a{color:inherit}.g img{display:block;max-width:100%;height:auto;border-radius:6px;margin-top:4px}' +
      '.ty{padding:0 14px;height:20px;font-size:13px;color:#4a4a4a;font-style:italic}' +
      '.er{padding:6px 14px;font-size:13px;color:#b00020;background:#fdecee}.er:empty{display:none}' +
      '.d{padding:10px 14px;border-top:1px solid #dde1e6;display:flex;flex-direction:column;gap:6px;font-size:14px}' +
      '.d p{margin:0}.d label{display:flex;flex-direction:column;gap:2px;font-size:13px}' +
      '.d input{font:inherit;padding:7px 9px;border:1px solid #8a9099;border-radius:6px}' +
      '.c{display:flex;align-items:flex-end;gap:6px;padding:10px;border-top:1px solid #dde1e6}' +
      '.c textarea{flex:1;font:inherit;resize:none;border:1px solid #8a9099;border-radius:8px;padding:8px 10px;max-height:120px;min-height:40px;color:#1a1a1a}' +
      '.btn{border:0;border-radius:8px;min-width:40px;height:40px;cursor:pointer;background:' + c + ';color:' + ink(c) + ';font:inherit;font-weight:600;padding:0 12px}' +
      '.a{background:#eceff3;color:#1a1a1a;padding:0;font-size:20px;display:inline-flex;align-items:center;justify-content:center}.a svg{width:22px;height:22px;fill:currentColor}' +
      '.hv,.av{flex:1;overflow-y:auto;padding:12px 14px}.cv{flex:1;display:flex;flex-direction:column;min-height:0}' +
      '.sf{display:flex;gap:6px}.sf input{flex:1;min-width:0;font:inherit;padding:8px 10px;border:1px solid #8a9099;border-radius:8px}' +
      '.al{list-style:none;margin:4px 0 10px;padding:0}.al button{display:block;width:100%;text-align:left;background:#fff;border:0;border-bottom:1px solid #dde1e6;padding:9px 4px;font:inherit;color:#0b4ea2;cursor:pointer}' +
      '.al button:hover,.al button:focus{background:#f0f4fa}.al small{display:block;color:#4a4a4a;font-size:13px;margin-top:2px}.al mark{background:#fff1a8;color:inherit}' +
      '.hh{font-size:14px;margin:14px 0 2px;color:#4a4a4a}.sg{border:1px solid #dde1e6;border-radius:8px;margin-top:4px}' +
      '.lk{margin:0 14px 8px;background:#eceff3;color:#1a1a1a;font-weight:600}' +
      '.av h3{font-size:18px;margin:0 0 10px}.av h3:focus{outline:0}.ab{overflow-wrap:anywhere}.ab h2,.ab h3,.ab h4{font-size:16px;margin:14px 0 6px}.ab p,.ab ul,.ab ol,.ab pre,.ab table,.ab blockquote{margin:0 0 10px}' +
      '.ab ul,.ab ol{padding-left:22px}.ab img{max-width:100%;height:auto}.ab a{color:#0b4ea2}.ab pre{overflow-x:auto;background:#f6f7f9;padding:8px}' +
      '.ab table{border-collapse:collapse;display:block;overflow-x:auto}.ab th,.ab td{border:1px solid #dde1e6;padding:4px 6px}.ab blockquote{padding:6px 10px;border-left:3px solid #8a9099;background:#f6f7f9}' +
      '.fb{display:flex;align-items:center;gap:8px;margin:16px 0 4px;border-top:1px solid #dde1e6;padding-top:12px}.fb .btn{height:34px;background:#eceff3;color:#1a1a1a}' +
      '.g.bt{background:#eef3fa;border-color:#b7c4d6}.tg{display:inline-block;margin-left:6px;padding:0 6px;border-radius:8px;background:#dde5f0;font-size:11px}' +
      '.qr{display:flex;flex-wrap:wrap;gap:6px;max-width:85%}.qr .btn{height:34px;background:#fff;color:#0b4ea2;border:1px solid #0b4ea2}' +
      '.tz{position:fixed;right:20px;bottom:88px;max-width:290px;display:flex;align-items:flex-start;background:#fff;color:#1a1a1a;border-radius:12px;box-shadow:0 4px 18px rgba(0,0,0,.25);z-index:2147483646}' +
      '.tm{flex:1;background:none;border:0;text-align:left;font:inherit;font-size:15px;padding:12px 4px 12px 14px;cursor:pointer;color:inherit}.tz .x{font-size:22px;margin:4px}' +
      '.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}' +
      '@media (max-width:480px){.p{right:0;bottom:0;width:100vw;max-width:100vw;height:100%;max-height:100%;border-radius:0}.l{right:14px;bottom:14px}.tz{right:14px;bottom:80px}}' +
      '@media (prefers-reduced-motion:no-preference){.p{transition:opacity .15s}.tz{animation:bu .25s ease-out}@keyframes bu{from{opacity:0;transform:translateY(8px)}}}';
  }
  paint();

  function el(tag, cls, attrs) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    return e;
  }
  function svg(d) {
    var ns = 'http://www.w3.org/2000/svg';
    var s = document.createElementNS(ns, 'svg');
    s.setAttribute('viewBox', '0 0 24 24');
    s.setAttribute('aria-hidden', 'true');
    var p = document.createElementNS(ns, 'path');
    p.setAttribute('d', d);
    s.appendChild(p);
    return s;
  }

  var launcher = el('button', 'l', { type: 'button', 'data-testid': 'balie-launcher', 'aria-expanded': 'false', 'aria-controls': 'balie-panel' });
  launcher.appendChild(svg('M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z'));
  var badge = el('span', 'b', { 'aria-hidden': 'true', hidden: '' });
  launcher.appendChild(badge);

  var panel = el('div', 'p', { id: 'balie-panel', role: 'dialog', 'aria-labelledby': 'balie-title', 'data-testid': 'balie-panel', hidden: '' });
  var head = el('div', 'h');
  var title = el('h2', '', { id: 'balie-title' });
  var closeBtn = el('button', 'x', { type: 'button', 'data-testid': 'balie-close' });
  closeBtn.textContent = '×';
  var backBtn = el('button', 'x', { type: 'button', 'data-testid': 'balie-back' });
  backBtn.textContent = '‹';
  head.appendChild(backBtn);
  head.appendChild(title);
  head.appendChild(closeBtn);
  var statusLine = el('div', 's', { role: 'status' });
  var list = el('ol', 'm', { 'data-testid': 'balie-messages', 'aria-live': 'polite', 'aria-relevant': 'additions' });
  var empty = el('li', 'e');
  list.appendChild(empty);
  var typing = el('div', 'ty', { 'data-testid': 'balie-typing', 'aria-live': 'polite' });
  var err = el('div', 'er', { role: 'alert', 'data-testid': 'balie-error' });

  var details = el('form', 'd', { 'data-testid': 'balie-details', hidden: '', novalidate: '' });
  var dIntro = el('p');
  var nameLabel = el('label'), nameText = el('span'), nameIn = el('input', '', { type: 'text', autocomplete: 'name', maxlength: '200', required: '', 'data-testid': 'balie-name' });
  nameLabel.appendChild(nameText); nameLabel.appendChild(nameIn);
  var mailLabel = el('label'), mailText = el('span'), mailIn = el('input', '', { type: 'email', autocomplete: 'email', maxlength: '254', required: '', 'data-testid': 'balie-email' });
  mailLabel.appendChild(mailText); mailLabel.appendChild(mailIn);
  var dSave = el('button', 'btn', { type: 'submit', 'data-testid': 'balie-details-save' });
  [dIntro, nameLabel, mailLabel, dSave].forEach(function (n) { details.appendChild(n); });

  var composer = el('form', 'c');
  var attach = el('button', 'btn a', { type: 'button', 'data-testid': 'balie-attach' });
  // A drawn paperclip: emoji fonts are missing on many systems.
  attach.appendChild(svg('M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5h-1.5v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z'));
  var file = el('input', '', { type: 'file', hidden: '', tabindex: '-1', 'data-testid': 'balie-file' });
  var input = el('textarea', '', { rows: '1', maxlength: '10000', 'data-testid': 'balie-input' });
  var sendBtn = el('button', 'btn', { type: 'submit', 'data-testid': 'balie-send' });
  [attach, file, input, sendBtn].forEach(function (n) { composer.appendChild(n); });
  var chatV = el('div', 'cv');
  [list, typing, details].forEach(function (n) { chatV.appendChild(n); });

  // ---- help view: search (with suggestions), then the FAQ or the results
  var helpV = el('div', 'hv', { 'data-testid': 'balie-help' });
  var sForm = el('form', 'sf', { role: 'search' });
  var sIn = el('input', '', { type: 'search', maxlength: '300', autocomplete: 'off', 'aria-controls': 'balie-sug', 'data-testid': 'balie-search' });
  var sBtn = el('button', 'btn', { type: 'submit', 'data-testid': 'balie-search-go' });
  sForm.appendChild(sIn); sForm.appendChild(sBtn);
  var sug = el('ul', 'al sg', { id: 'balie-sug', hidden: '', 'data-testid': 'balie-suggestions' });
  var hHead = el('h3', 'hh', { hidden: '' });
  var hList = el('ul', 'al', { 'data-testid': 'balie-articles' });
  var hNote = el('p', 'e', { hidden: '' });
  var live = el('div', 'sr', { 'aria-live': 'polite' });
  [sForm, sug, hHead, hList, hNote].forEach(function (n) { helpV.appendChild(n); });

  // ---- article view
  var artV = el('div', 'av', { hidden: '', 'data-testid': 'balie-article' });
  var aTitle = el('h3', '', { tabindex: '-1', 'data-testid': 'balie-article-title' });
  var aBody = el('div', 'ab', { 'data-testid': 'balie-article-body' });
  var fb = el('div', 'fb', { role: 'group', 'aria-labelledby': 'balie-fbq' });
  var fbQ = el('span', '', { id: 'balie-fbq' });
  var yes = el('button', 'btn', { type: 'button', 'data-testid': 'balie-helpful-yes' });
  var no = el('button', 'btn', { type: 'button', 'data-testid': 'balie-helpful-no' });
  [fbQ, yes, no].forEach(function (n) { fb.appendChild(n); });
  var fbDone = el('p', '', { role: 'status', 'data-testid': 'balie-feedback-done' });
  [aTitle, aBody, fb, fbDone].forEach(function (n) { artV.appendChild(n); });
  var toChat = el('button', 'btn lk', { type: 'button', 'data-testid': 'balie-to-chat' });

  // ---- my orders (an identified customer's, with the self-service actions)
  var ordV = el('div', 'hv', { hidden: '', 'data-testid': 'balie-orders' });
  var res = el('p', '', { role: 'status', 'data-testid': 'balie-action-result' });
  var oList = el('div');
  ordV.appendChild(res); ordV.appendChild(oList);
  var toOrd = el('button', 'btn lk', { type: 'button', hidden: '', 'data-testid': 'balie-to-orders' });
  [head, statusLine, helpV, artV, ordV, chatV, err, toOrd, toChat, composer, live].forEach(function (n) { panel.appendChild(n); });

  // ---- proactive teaser: a message beside the launcher, not the panel
  var tz = el('div', 'tz', { role: 'status', hidden: '', 'data-testid': 'balie-teaser' });
  var tzMsg = el('button', 'tm', { type: 'button', 'data-testid': 'balie-teaser-open' });
  var tzX = el('button', 'x', { type: 'button', 'data-testid': 'balie-teaser-close' });
  tzX.textContent = '×';
  tz.appendChild(tzMsg); tz.appendChild(tzX);
  root.appendChild(tz);
  root.appendChild(launcher);
  root.appendChild(panel);

  function label() {
    title.textContent = t(st.view === 'ord' ? 'orders' : 'title');
    closeBtn.setAttribute('aria-label', t('close'));
    launcher.setAttribute('aria-label', st.unread ? t('open') + ' (' + st.unread + ' ' + t('new_message') + ')' : t('open'));
    input.setAttribute('aria-label', t('placeholder'));
    input.setAttribute('placeholder', t('placeholder'));
    sendBtn.textContent = t('send');
    attach.setAttribute('aria-label', t('attach'));
    attach.title = t('attach');
    empty.textContent = t('empty');
    dIntro.textContent = t('offline');
    nameText.textContent = t('name');
    mailText.textContent = t('email');
    dSave.textContent = t('save');
    backBtn.setAttribute('aria-label', t('back'));
    sIn.setAttribute('aria-label', t('search'));
    sIn.setAttribute('placeholder', t('search'));
    sBtn.textContent = t('find');
    fbQ.textContent = t('helpful');
    yes.textContent = t('yes');
    no.textContent = t('no');
    toChat.textContent = t('chat');
    toOrd.textContent = t('orders');
    tzX.setAttribute('aria-label', t('dismiss'));
  }
  label();

  function mount() { (document.body || document.documentElement).appendChild(host); }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);

  // ---- server calls
  function api(path, body, isForm) {
    var headers = {};
    if (st.token) headers['X-Balie-Visitor'] = st.token;
    if (!isForm) headers['Content-Type'] = 'application/json';
    return fetch(base + '/widget/api/' + path, {
      method: 'POST', mode: 'cors', credentials: 'omit', headers: headers,
      body: isForm ? body : JSON.stringify(body)
    }).then(reply);
  }
  function reply(r) {
    return r.json().catch(function () { return {}; }).then(function (j) {
      if (!r.ok) { var e = new Error(j.detail || r.statusText); e.status = r.status; throw e; }
      return j;
    });
  }
  // Help reads are GETs with the token in the query: no header, so no
  // CORS preflight per search.
  function get(path, q) {
    q.inbox = inbox;
    q.locale = lang;
    if (st.token && path !== 'suggest') q.token = st.token;
    return fetch(base + '/widget/api/kb/' + path + '?' + new URLSearchParams(q), { mode: 'cors', credentials: 'omit' }).then(reply);
  }

  function session() {
    if (st.session) return st.session;
    var tk = st.token;
    st.session = api('session', { inbox: inbox, token: tk, locale: lang }).then(function (s) {
      if (tk !== st.token) return s; // signed out meanwhile: not this browser's any more
      if (s.token !== tk) { st.token = s.token; save(s.token); }
      for (var k in s.strings) S[k] = s.strings[k];
      if (s.color && !color) { color = s.color; paint(); }
      st.online = s.agents_online;
      st.detailsKnown = s.details_known;
      setConv(s.conversation_id, s.status);
      (s.messages || []).forEach(add);
      label();
      // A returning visitor who has not started looking for help goes
      // back to their conversation.
      if (st.open && st.view === 'help' && !st.touched && s.messages && s.messages.length) show('chat');
      connect();
      return s;
    }, function (e) { st.session = null; throw e; });
    return st.session;
  }

  function setConv(cid, status) {
    if (cid && cid !== st.conv) st.conv = cid;
    if (status) st.status = status;
  }

  // ---- WebSocket with reconnect and backoff
  function connect() {
    if (st.ws || !st.token) return;
    var url = base.replace(/^http/, 'ws') + '/widget/ws?inbox=' + encodeURIComponent(inbox) + '&token=' + encodeURIComponent(st.token);
    var ws;
    try { ws = new WebSocket(url); } catch (e) { return retry(); }
    st.ws = ws;
    ws.onopen = function () {
      if (st.backoff > 1000) { statusLine.textContent = ''; resync(); }
      st.backoff = 1000;
    };
    ws.onmessage = function (ev) {
      var m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (m.type === 'message.created' && m.message) {
        setConv(m.message.conversation_id, 'open');
        if (m.message.sender !== 'contact') showTyping(false);
        add(m.message);
      } else if (m.type === 'typing') {
        showTyping(m.typing, m.name);
      } else if (m.type === 'conversation.updated' && m.conversation) {
        setConv(m.conversation.id, m.conversation.status);
        if (m.conversation.status === 'resolved' && m.conversation.id === st.conv) statusLine.textContent = t('resolved');
      }
    };
    ws.onclose = function () {
      st.ws = null;
      // A close we asked for (see afterSend) reconnects at once, quietly.
      if (st.rebind) { st.rebind = false; connect(); return; }
      retry();
    };
  }
  function retry() {
    if (st.retry) return;
    if (st.open) statusLine.textContent = t('reconnecting');
    var wait = st.backoff * (0.75 + Math.random() / 2);
    st.backoff = Math.min(st.backoff * 2, 30000);
    st.retry = setTimeout(function () { st.retry = 0; connect(); }, wait);
  }
  // After a reconnect, fetch what arrived meanwhile.
  function resync() {
    st.session = null;
    session().catch(function () {});
  }
  function wsSend(o) {
    if (st.ws && st.ws.readyState === 1) st.ws.send(JSON.stringify(o));
  }

  // ---- thread
  function url(u) { return base + u + '?token=' + encodeURIComponent(st.token); }
  function time(iso) {
    var d = iso ? new Date(iso) : new Date();
    try { return d.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' }); } catch (e) { return ''; }
  }
  function add(m) {
    if (!m || !m.id || st.seen[m.id]) return;
    st.seen[m.id] = true;
    empty.hidden = true;
    var mine = m.sender === 'contact', bot = m.sender === 'bot';
    var li = el('li', 'g' + (mine ? ' me' : bot ? ' bt' : ''), { 'data-testid': 'balie-message', 'data-id': String(m.id), 'data-sender': m.sender });
    if (!mine) {
      var n = el('div', 'n');
      n.textContent = m.sender_name || t(bot ? 'bot' : 'agent');
      // The customer should know when an answer is automated.
      if (bot) { var tg = el('span', 'tg', { 'data-testid': 'balie-bot-label' }); tg.textContent = t('bot'); n.appendChild(tg); }
      li.appendChild(n);
    }
    if (m.body) {
      var b = el('div', '', { 'data-testid': 'balie-message-body' });
      if (mine) b.textContent = m.body; else linked(b, m.body);
      li.appendChild(b);
    }
    (m.attachments || []).forEach(function (a) {
      var link = el('a', '', { href: url(a.url), target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'balie-attachment' });
      if (a.thumb_url) {
        var img = el('img', '', { src: url(a.thumb_url), alt: t('attachment_alt', { name: a.name }), loading: 'lazy' });
        if (a.width && a.height) { img.width = Math.min(a.width, 320); img.height = Math.round(img.width * a.height / a.width); }
        link.appendChild(img);
      } else {
        link.textContent = '📄 ' + a.name + ' (' + size(a.size) + ')';
      }
      li.appendChild(link);
    });
    var k = el('div', 'k');
    k.textContent = (mine ? t('you') + ' · ' : '') + time(m.created_at);
    li.appendChild(k);
    list.appendChild(li);
    // Choices belong to the latest message only: any answer ends them.
    if (st.qr) { st.qr.remove(); st.qr = null; }
    if (bot && m.body) quick(m.body);
    list.scrollTop = list.scrollHeight;
    if (!mine && st.open && st.view !== 'chat') live.textContent = t('new_message');
    if (!mine && !st.open) {
      st.unread++;
      badge.textContent = String(st.unread);
      badge.hidden = false;
      label();
    }
  }
  // linked puts text into b with its web addresses (and balie's /help/
  // paths) as links: text nodes and anchors, never markup.
  function linked(b, s) {
    var re = /(^|[\s(])(https?:\/\/|\/help\/)[^\s<>"]*[^\s<>".,;:!?)'\]]/g, i = 0, m, at, u, a;
    while ((m = re.exec(s))) {
      at = m.index + m[1].length;
      if (!(u = abs(s.slice(at, re.lastIndex)))) continue;
      b.appendChild(document.createTextNode(s.slice(i, at)));
      a = el('a', '', { href: u, target: '_blank', rel: 'noopener noreferrer' });
      a.textContent = s.slice(at, re.lastIndex);
      b.appendChild(a);
      i = re.lastIndex;
    }
    b.appendChild(document.createTextNode(s.slice(i)));
  }
  // The bot asks with numbered choices ("1. Ja  2. Nee", or one a line) or
  // "did this help? answer yes or no" as its last paragraph; both become
  // buttons that answer for the customer.
  function choices(body) {
    var ps = body.trim().split(/\n\s*\n/), last = ps[ps.length - 1], out = [], m;
    if (/(Heeft dit (je|u) geholpen|Did this help)\?/.test(last)) return /Heeft/.test(last) ? ['Ja', 'Nee'] : ['Yes', 'No'];
    last = last.split(/\n| {2,}/);
    for (var i = 0; i < last.length; i++) {
      if (!(m = /^\s*(\d+)\. (.+)$/.exec(last[i])) || +m[1] !== i + 1) return [];
      out.push(m[2].trim());
    }
    return out.length > 1 ? out : [];
  }
  function quick(body) {
    var cs = choices(body);
    if (!cs.length) return;
    var g = st.qr = el('li', 'qr', { role: 'group', 'aria-label': t('choose'), 'data-testid': 'balie-choices' });
    cs.forEach(function (c, i) {
      var b = el('button', 'btn', { type: 'button', 'data-testid': 'balie-choice' });
      b.textContent = c;
      b.addEventListener('click', function () {
        var bs = g.querySelectorAll('button');
        bs.forEach(function (x) { x.disabled = true; });
        // The label reads better in the transcript; a label that is a
        // number would be taken for a choice's number.
        send(/^\d+$/.test(c) ? String(i + 1) : c).then(function (ok) { if (!ok) bs.forEach(function (x) { x.disabled = false; }); });
      });
      g.appendChild(b);
    });
    list.appendChild(g);
  }
  function size(n) {
    return n > 1048576 ? (n / 1048576).toFixed(1) + ' MB' : Math.max(1, Math.round(n / 1024)) + ' KB';
  }
  function showTyping(on, who) {
    clearTimeout(st.theirTypingTimer);
    typing.textContent = on ? t('typing', { name: who || t('agent') }) : '';
    // A lost "stopped" notice must not leave the indicator on forever.
    if (on) st.theirTypingTimer = setTimeout(function () { typing.textContent = ''; }, 8000);
  }
  function fail(e) {
    var s = e && e.status;
    err.textContent = t(s === 413 ? 'too_large' : s === 415 ? 'bad_type' : s === 429 ? 'rate_limited' : 'send_failed');
  }
  function afterSend(r) {
    err.textContent = '';
    // The first message creates the contact. With several balie nodes the
    // socket may live on another node than this request: reconnect it so
    // that it is bound to the contact wherever it lands.
    if (!st.conv && st.ws) { st.backoff = 2000; st.rebind = true; st.ws.close(); }
    if (r.conversation_id) setConv(r.conversation_id, 'open');
    if (statusLine.textContent === t('resolved')) statusLine.textContent = '';
    add(r.message);
    st.online = r.agents_online;
    if (!st.online && !st.detailsKnown && !st.asked) {
      st.asked = true;
      details.hidden = false;
    }
    connect();
  }

  // ---- open and close
  function openPanel() {
    st.open = st.used = true;
    tz.hidden = true;
    panel.hidden = false;
    launcher.setAttribute('aria-expanded', 'true');
    st.unread = 0;
    badge.hidden = true;
    label();
    if (!st.view) show(Object.keys(st.seen).length ? 'chat' : 'help');
    (st.view === 'help' ? sIn : st.view === 'art' ? aTitle : input).focus();
    if (!st.faq) faq();
    session().then(orders).catch(function () { err.textContent = t('send_failed'); });
  }
  function closePanel() {
    st.open = false;
    panel.hidden = true;
    launcher.setAttribute('aria-expanded', 'false');
    launcher.focus();
    tease();
  }
  launcher.addEventListener('click', function () { if (st.open) closePanel(); else openPanel(); });
  closeBtn.addEventListener('click', closePanel);
  panel.addEventListener('keydown', function (e) {
    if (e.key !== 'Escape') return;
    e.preventDefault();
    if (!sug.hidden) { sug.hidden = true; sIn.focus(); } else closePanel();
  });

  // ---- help
  function show(v) {
    st.view = v;
    helpV.hidden = v !== 'help';
    artV.hidden = v !== 'art';
    chatV.hidden = v !== 'chat';
    ordV.hidden = v !== 'ord';
    composer.hidden = v === 'art' || v === 'ord';
    toOrd.hidden = !st.idf || v === 'ord';
    toChat.hidden = v === 'chat';
    backBtn.hidden = v === 'help';
    title.textContent = t(v === 'ord' ? 'orders' : 'title');
    if (v === 'chat') list.scrollTop = list.scrollHeight;
  }
  function item(a, kind, onOpen) {
    var li = el('li'), b = el('button', '', { type: 'button', 'data-testid': 'balie-' + kind, 'data-id': String(a.id) });
    b.textContent = a.title;
    var sn = a.snippet || (a.description ? [{ t: a.description }] : []);
    if (sn.length) {
      var sm = el('small');
      sn.forEach(function (p) { var m = el(p.h ? 'mark' : 'span'); m.textContent = p.t; sm.appendChild(m); });
      b.appendChild(sm);
    }
    b.addEventListener('click', function () { onOpen(a, b); });
    li.appendChild(b);
    return li;
  }
  function fill(head, items, kind, sid) {
    hHead.textContent = head;
    hHead.hidden = !items.length && kind === 'faq';
    hList.textContent = '';
    items.forEach(function (a) { hList.appendChild(item(a, kind, function (a, b) { art(a.id, sid, b); })); });
  }
  function faq() {
    st.faq = [];
    get('faq', { context: PAGE }).then(function (r) {
      st.faq = r.items || [];
      if (!sIn.value.trim()) fill(t('faq'), st.faq, 'faq', 0);
    }, function () { st.faq = null; });
  }
  function hideSug() { sug.hidden = true; }
  sIn.addEventListener('input', function () {
    st.touched = true;
    clearTimeout(st.sugT);
    var q = sIn.value.trim(), n = ++st.seq;
    if (!q) { hideSug(); hNote.hidden = true; fill(t('faq'), st.faq || [], 'faq', 0); return; }
    if (q.length < 2) return hideSug();
    st.sugT = setTimeout(function () {
      get('suggest', { q: q }).then(function (r) {
        if (n !== st.seq) return;
        sug.textContent = '';
        (r.items || []).forEach(function (a) { sug.appendChild(item(a, 'suggestion', function (a, b) { hideSug(); art(a.id, 0, b); })); });
        sug.hidden = !sug.firstChild;
        live.textContent = sug.firstChild ? t('sugs', { n: sug.children.length }) : '';
      }, function () {});
    }, 250);
  });
  // Arrow keys walk from the search box through the suggestions.
  helpV.addEventListener('keydown', function (e) {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp' || sug.hidden) return;
    var bs = Array.prototype.slice.call(sug.querySelectorAll('button'));
    var i = bs.indexOf(root.activeElement);
    if (i < 0 && e.target !== sIn) return;
    e.preventDefault();
    i += e.key === 'ArrowDown' ? 1 : -1;
    (i < 0 ? sIn : bs[Math.min(i, bs.length - 1)]).focus();
  });
  sForm.addEventListener('submit', function (e) {
    e.preventDefault();
    var q = sIn.value.trim();
    clearTimeout(st.sugT);
    hideSug();
    if (!q) return;
    var n = ++st.seq;
    get('search', { q: q, context: PAGE }).then(function (r) {
      if (n !== st.seq) return;
      var items = r.items || [];
      fill(t('results', { q: q }), items, 'result', r.search_id);
      hNote.textContent = t('none');
      hNote.hidden = !!items.length;
      if (!items.length) { st.failed = true; kv('session', ':f', '1'); }
      live.textContent = items.length ? t('found', { n: items.length }) : t('none');
    }, function (e2) { live.textContent = hNote.textContent = t(e2.status === 429 ? 'rate_limited' : 'failed'); hNote.hidden = false; });
  });
  function abs(u) {
    try { var x = new URL(u, base + '/'); return /^(https?|mailto):$/.test(x.protocol) ? x.href : ''; } catch (e) { return ''; }
  }
  // Show an article. Its HTML is sanitised by balie; it is parsed inert
  // here and cleaned once more: no scripts, handlers or styles, ids kept
  // apart from the widget's, links to a new tab, URLs made absolute to
  // balie (the widget runs on another site).
  function art(id, sid, from) {
    st.touched = true;
    if (sid) api('kb/click', { inbox: inbox, token: st.token, search_id: sid, article_id: id }).catch(function () {});
    get('articles/' + id, { context: PAGE }).then(function (a) {
      var doc = new DOMParser().parseFromString(a.html, 'text/html');
      doc.querySelectorAll('script,style,iframe,object,embed,form,link,meta,base,svg,math').forEach(function (n) { n.remove(); });
      doc.querySelectorAll('*').forEach(function (n) {
        Array.prototype.slice.call(n.attributes).forEach(function (at) {
          if (/^on|^style$|^target$/i.test(at.name)) n.removeAttribute(at.name);
        });
        if (n.id) n.id = 'a-' + n.id;
        var h = n.getAttribute('href'), src = n.getAttribute('src');
        if (h && h.charAt(0) !== '#') {
          if ((h = abs(h))) { n.href = h; n.target = '_blank'; n.rel = 'noopener noreferrer'; } else n.removeAttribute('href');
        }
        if (src != null) { if ((src = abs(src))) n.src = src; else n.remove(); }
      });
      aTitle.textContent = a.title;
      aBody.textContent = '';
      while (doc.body.firstChild) aBody.appendChild(document.adoptNode(doc.body.firstChild));
      st.art = { id: a.id, sid: sid, title: a.title, from: from };
      fb.hidden = false;
      fbDone.textContent = '';
      show('art');
      artV.scrollTop = 0;
      aTitle.focus();
    }, function () { live.textContent = t('failed'); });
  }
  // In-article links (#heading) scroll the article, never the host page.
  aBody.addEventListener('click', function (e) {
    var a = e.target.closest && e.target.closest('a');
    var h = a && a.getAttribute('href');
    if (!h || h.charAt(0) !== '#') return;
    e.preventDefault();
    aBody.querySelectorAll('[id]').forEach(function (n) { if (n.id === 'a-' + h.slice(1)) n.scrollIntoView(); });
  });
  function vote(helpful) {
    var a = st.art;
    api('kb/feedback', { inbox: inbox, token: st.token, article_id: a.id, helpful: helpful, search_id: a.sid }).then(function () {
      fb.hidden = true;
      fbDone.textContent = t('thanks');
      toChat.focus();
    }, function () { fbDone.textContent = t('failed'); });
  }
  yes.addEventListener('click', function () { vote(true); });
  no.addEventListener('click', function () { vote(false); });
  toChat.addEventListener('click', function () {
    // The first message may say which article the visitor read.
    var about = st.view === 'art' && !st.conv && !input.value;
    show('chat');
    if (about) { input.value = t('about', { title: st.art.title }); grow(); }
    input.focus();
  });
  backBtn.addEventListener('click', function () {
    var from = st.view === 'art' && st.art.from;
    show('help');
    // A suggestion that opened the article is hidden by now.
    (from && from.offsetParent ? from : sIn).focus();
  });

  toOrd.addEventListener('click', function () { show('ord'); orders(); });
  // The token goes in the header: query strings end up in access logs.
  function orders() {
    var tk = st.token;
    if (!tk) return;
    return fetch(base + '/widget/api/orders?' + new URLSearchParams({ inbox: inbox, locale: lang }), { mode: 'cors', credentials: 'omit', headers: { 'X-Balie-Visitor': tk } }).then(reply).then(function (r) {
      if (tk !== st.token) return; // signed out meanwhile
      st.idf = r.identified;
      toOrd.hidden = !st.idf || st.view === 'ord';
      oList.textContent = '';
      var acts = r.actions;
      r.items.forEach(function (o) {
        var d = el('div', 'd', { 'data-testid': 'balie-order', 'data-number': o.number }), h = el('strong');
        h.textContent = o.number + ' · ' + o.status_text;
        d.appendChild(h);
        acts.forEach(function (a) { if (a.order) d.appendChild(actBtn(a, d, o.number)); });
        oList.appendChild(d);
      });
      var me = el('div', 'd');
      acts.forEach(function (a) { if (!a.order) me.appendChild(actBtn(a, me)); });
      oList.appendChild(me);
    }, function () {});
  }
  function actBtn(a, box, num) {
    var b = el('button', 'btn lk', { type: 'button', 'data-testid': 'balie-action-' + a.name });
    b.textContent = a.title;
    b.addEventListener('click', function () {
      if (!a.fields.length && !a.confirm) return act(a.name, { order: num });
      var f = box.querySelector('form');
      if (f) f.remove();
      f = el('form', 'd', { 'data-testid': 'balie-action-form' });
      a.fields.forEach(function (x) {
        var l = el('label'), s = el('span'), i = el('input', '', { name: x.name, type: x.type, maxlength: String(x.max), 'data-testid': 'balie-field-' + x.name });
        if (x.required) i.required = true;
        s.textContent = x.label; l.appendChild(s); l.appendChild(i); f.appendChild(l);
      });
      var go = el('button', 'btn', { type: 'submit', 'data-testid': 'balie-action-submit' });
      go.textContent = a.title;
      f.appendChild(go);
      f.addEventListener('submit', function (e) {
        e.preventDefault();
        var q = num ? { order: num } : {};
        a.fields.forEach(function (x) { var v = f.elements[x.name].value.trim(); if (v) q[x.name] = v; });
        act(a.name, q);
      });
      box.appendChild(f);
      f.elements[0].focus();
    });
    return b;
  }
  // One action at a time: its buttons stay disabled until it is done, so a
  // double click does not cancel twice.
  function busy(on) {
    st.busy = on;
    oList.querySelectorAll('button').forEach(function (b) { b.disabled = on; });
  }
  function act(name, q) {
    if (st.busy) return;
    busy(true);
    res.textContent = '';
    api('actions/' + name, { inbox: inbox, token: st.token, locale: lang, input: q }).then(function (r) {
      res.textContent = r.message;
      var u = r.url && new URL(r.url, base), a;
      if (u && /^https?:$/.test(u.protocol)) {
        a = el('a', '', { href: u.href, target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'balie-action-link' });
        a.textContent = r.url;
        res.appendChild(el('br')); res.appendChild(a);
      }
      // The action failed and a colleague is offered: the chat, with the
      // order it is about.
      if (r.handover) {
        a = el('button', 'btn', { type: 'button', 'data-testid': 'balie-handover' });
        a.textContent = t('colleague');
        a.addEventListener('click', function () {
          show('chat');
          if (q.order && !input.value) { input.value = t('about_order', { n: q.order }); grow(); }
          input.focus();
        });
        res.appendChild(el('br')); res.appendChild(a);
      }
      ordV.scrollTop = 0;
      return orders();
    }, function (e) { res.textContent = e.message || t('failed'); }).then(function () { busy(false); });
  }

  // ---- composing
  function typingNotice(on) {
    if (!st.conv) return;
    var now = Date.now();
    if (on && now - st.typingSent < 3000) return;
    st.typingSent = on ? now : 0;
    wsSend({ type: 'typing', conversation_id: st.conv, typing: on });
  }
  function grow() {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight, 120) + 'px';
  }
  input.addEventListener('input', function () {
    grow();
    typingNotice(true);
    clearTimeout(st.typingTimer);
    st.typingTimer = setTimeout(function () { typingNotice(false); }, 4000);
  });
  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
  });
  composer.addEventListener('submit', function (e) { e.preventDefault(); send(); });
  // send posts the composer's text, or txt (a quick reply); it resolves
  // to true once stored.
  function send(txt) {
    var body = txt || input.value.trim();
    if (!body) return;
    var cid = id();
    sendBtn.disabled = true;
    clearTimeout(st.typingTimer);
    typingNotice(false);
    session().then(function () {
      return api('messages', { inbox: inbox, token: st.token, body: body, client_id: cid });
    }).then(function (r) {
      if (!txt) { input.value = ''; input.style.height = ''; }
      show('chat');
      afterSend(r);
      return true;
    }, fail).then(function (ok) { sendBtn.disabled = false; input.focus(); return ok; });
  }
  attach.addEventListener('click', function () { file.click(); });
  file.addEventListener('change', function () {
    var f = file.files && file.files[0];
    file.value = '';
    if (!f) return;
    if (f.size > MAX_UPLOAD) { fail({ status: 413 }); return; }
    err.textContent = '';
    statusLine.textContent = t('uploading', { name: f.name });
    session().then(function () {
      var fd = new FormData();
      fd.append('inbox', inbox);
      fd.append('client_id', id());
      fd.append('file', f, f.name);
      return api('upload', fd, true);
    }).then(function (r) { show('chat'); afterSend(r); }, fail).then(function () { statusLine.textContent = ''; });
  });
  details.addEventListener('submit', function (e) {
    e.preventDefault();
    var name = nameIn.value.trim(), mail = mailIn.value.trim();
    if (!name) { nameIn.focus(); return; }
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(mail)) { err.textContent = t('invalid_email'); mailIn.focus(); return; }
    api('contact-details', { inbox: inbox, token: st.token, name: name, email: mail }).then(function (r) {
      st.detailsKnown = true;
      details.hidden = true;
      err.textContent = '';
      statusLine.textContent = t('saved', { email: r.email });
      input.focus();
    }, function (e2) { err.textContent = t(e2.status === 422 ? 'invalid_email' : 'send_failed'); });
  });

  // ---- proactive chat. The inbox's triggers come with its config; each
  // fires when its page pattern, time on page, returning visitor and failed
  // search all hold, at most once per visitor per day, never over the open
  // panel, and no more in a session where the visitor dismissed one.
  var T0 = Date.now(), pro = [], ret = kv('session', ':r');
  if (ret == null) { ret = kv('local', ':v') ? '1' : ''; kv('session', ':r', ret); kv('local', ':v', '1'); }
  function glob(p) {
    return !p || new RegExp('^' + p.split('*').map(function (x) { return x.replace(/[.+?^${}()|[\]\\]/g, '\\$&'); }).join('.*') + '$').test(location.pathname);
  }
  function tease() {
    if (st.open || !tz.hidden || kv('session', ':x')) return;
    var day = new Date().toDateString(), shown, p, i;
    try { shown = JSON.parse(kv('local', ':p')) || {}; } catch (e) { shown = {}; }
    for (i = 0; (p = pro[i]); i++) {
      // Once the visitor used the panel on this page, only a failed search
      // is reason to speak up.
      if (shown[p.id] === day || Date.now() - T0 < p.after_seconds * 1000 - 100 || st.used && !p.failed_search ||
        p.failed_search && !st.failed && !kv('session', ':f')) continue;
      for (var k in shown) if (shown[k] !== day) delete shown[k];
      shown[p.id] = day;
      kv('local', ':p', JSON.stringify(shown));
      st.tease = p.message;
      tz.hidden = false;
      tzMsg.textContent = p.message;
      return;
    }
  }
  function untease() {
    tz.hidden = true;
    kv('session', ':x', '1');
  }
  tzMsg.addEventListener('click', function () {
    untease();
    // The teaser's message opens the chat, as the company's first word.
    var li = el('li', 'g', { 'data-testid': 'balie-message', 'data-sender': 'proactive' }), n = el('div', 'n'), b = el('div', '', { 'data-testid': 'balie-message-body' });
    n.textContent = t('agent');
    b.textContent = st.tease;
    li.appendChild(n); li.appendChild(b);
    list.appendChild(li);
    empty.hidden = true;
    show('chat');
    openPanel();
  });
  tzX.addEventListener('click', function () { untease(); launcher.focus(); });
  tz.addEventListener('keydown', function (e) { if (e.key === 'Escape') { untease(); launcher.focus(); } });
  fetch(base + '/widget/api/config?' + new URLSearchParams({ inbox: inbox, locale: lang }), { mode: 'cors', credentials: 'omit' }).then(reply).then(function (c) {
    if (c.color && !color) { color = c.color; paint(); }
    (c.proactive || []).forEach(function (p) {
      if (!glob(p.url) || p.returning && !ret) return;
      pro.push(p);
      setTimeout(tease, p.after_seconds * 1000);
    });
  }, function () {});

  // ---- identity: the company's site vouches for its logged-in customer
  // with a signed token (data-identity-token on the script tag, or
  // Balie.identify(token) after a login without a page load). balie checks
  // the signature; a token that does not verify changes nothing.
  function identify(tok) {
    if (!tok || typeof tok !== 'string') return Promise.reject(new Error('no identity token'));
    return session().then(function () {
      return api('identify', { inbox: inbox, token: st.token, identity: tok });
    }).then(function (r) {
      st.detailsKnown = r.details_known;
      kv('local', ':id', '1');
      // The thread may now be the customer's earlier one: load it again.
      st.session = null;
      return session().then(orders).then(function () { return r; });
    });
  }
  // logout is for the site's logout handler (a shared computer): this
  // browser forgets its token, so the next person starts as a new
  // visitor, and balie unlinks the old token from the customer, so a copy
  // of it reaches nothing. The new token comes with the next session.
  function logout() {
    var old = st.token;
    forget();
    return old ? api('logout', { inbox: inbox, token: old }) : Promise.resolve({});
  }
  // forget drops everything of the visitor in this tab.
  function forget() {
    st.token = '';
    save('');
    kv('local', ':id', '');
    if (st.ws) { st.ws.onclose = null; st.ws.close(); st.ws = null; }
    clearTimeout(st.retry);
    st.retry = st.conv = st.unread = 0;
    st.session = st.qr = null;
    st.seen = {};
    st.idf = st.detailsKnown = st.asked = false;
    list.textContent = oList.textContent = res.textContent = statusLine.textContent = err.textContent = typing.textContent = '';
    list.appendChild(empty);
    badge.hidden = details.hidden = toOrd.hidden = true;
    empty.hidden = false;
    if (st.view) show(st.view === 'ord' ? 'help' : st.view);
  }
  // Another tab signed out (the token they share is gone): so does this
  // one, or it would carry on with the old token.
  addEventListener('storage', function (e) { if (e.key === KEY && !e.newValue && st.token) forget(); });
  window.Balie = window.Balie || {};
  window.Balie.identify = identify;
  window.Balie.logout = logout;
  // An empty data-identity-token is the site saying nobody is logged in
  // on this page: a browser identified before signs out. No attribute at
  // all says nothing (the site may call Balie.identify later).
  var idTok = script.getAttribute('data-identity-token');
  if (idTok) identify(idTok).catch(function () {});
  else if (idTok === '' && kv('local', ':id')) logout().catch(function () {});

  // A returning visitor gets their thread and live replies without opening.
  if (st.token) session().catch(function () {});
})();
