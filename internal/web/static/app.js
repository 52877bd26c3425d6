// balie agent workspace: live updates over the realtime WebSocket, typing
// indicators, and a few form niceties. No dependencies, no build step.
// Data from the server is only ever put into the page with textContent;
// the only HTML inserted is fragments the server rendered and escaped (an
// inbox row, the view tabs, a conversation's facts and side panel), parsed
// with DOMParser, which runs no scripts.
(function () {
  "use strict";

  var text = {};
  var i18nEl = document.getElementById("i18n");
  if (i18nEl) {
    try { text = JSON.parse(i18nEl.textContent) || {}; } catch (e) { text = {}; }
  }
  function t(key, arg) {
    var s = text[key] || key;
    return arg === undefined ? s : s.replace("%s", arg);
  }

  var root = document.documentElement;
  var dateFmt;
  try {
    dateFmt = new Intl.DateTimeFormat(root.lang === "nl" ? "nl-NL" : "en-GB", {
      day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
      timeZone: root.dataset.tz || undefined
    });
  } catch (e) {
    dateFmt = new Intl.DateTimeFormat();
  }

  function el(tag, cls, content) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (content !== undefined && content !== null) n.textContent = content;
    return n;
  }

  // fill puts arg into the text of key; null when the page has no such text.
  // A function replacement, so that "$&" in a name stays as it is.
  function fill(key, arg) {
    var s = text[key];
    if (!s) return null;
    return arg === undefined ? s : s.replace("%s", function () { return arg; });
  }

  // activityText renders an activity message in the page's language, as the
  // server does (web/activity.go): "Anna: toegewezen aan Bram; prioriteit
  // hoog". Messages without activity, or with a change this page does not
  // know, show their (English) body.
  function activityText(m) {
    var items = m.activity || [];
    if (!items.length) return m.body;
    var parts = [];
    for (var i = 0; i < items.length; i++) {
      var s = activityPart(items[i]);
      if (s === null) return m.body;
      parts.push(s);
    }
    return (m.sender_name || "balie") + ": " + parts.join("; ");
  }

  function activityPart(it) {
    var key = "activity." + it.key;
    var arg = it.args && it.args.length ? it.args[0] : undefined;
    switch (it.key) {
      case "resolved": case "reopened": case "pending": case "snooze_ended":
        return fill(key);
    }
    if (arg === undefined) return null;
    switch (it.key) {
      case "snoozed":
        var d = new Date(arg);
        return isNaN(d.getTime()) ? null : fill(key, dateFmt.format(d));
      case "priority":
        if (arg === "" || arg === "none") return fill(key + "_none");
        var p = text["priority." + arg];
        return p ? fill(key, p.toLowerCase()) : null;
      case "labels":
        return arg === "" ? fill(key + "_none") : fill(key, arg.split(",").join(", "));
      case "team": case "assigned": case "category": case "handover":
        return arg === "" ? fill(key + "_none") : fill(key, arg);
      case "continued_in": case "continued_from":
        var ch = text["channel." + arg], s = fill(key, ch);
        return ch && s && it.args.length > 1 ? s.replace("%s", function () { return it.args[1]; }) : null;
    }
    return null;
  }

  function timeEl(iso) {
    var n = el("time");
    if (iso) {
      n.setAttribute("datetime", iso);
      n.textContent = dateFmt.format(new Date(iso));
    }
    return n;
  }

  // --- forms

  // Confirm before destructive submits (data-confirm holds the question).
  document.addEventListener("submit", function (ev) {
    var f = ev.target;
    if (f.dataset && f.dataset.confirm && !window.confirm(f.dataset.confirm)) {
      ev.preventDefault();
    }
  });

  // Edit a suggested reply: put it in the reply box, marked as an edited
  // suggestion, rather than loading the page again (the link's fallback).
  document.addEventListener("click", function (ev) {
    var link = ev.target.closest && ev.target.closest("[data-suggestion-edit]");
    var box = document.querySelector("[data-composer]");
    if (!link || !box) return;
    ev.preventDefault();
    var fields = { suggestion_kind: link.dataset.kind, suggestion_ref: link.dataset.ref, suggestion_edited: "1" };
    Object.keys(fields).forEach(function (name) {
      var input = box.querySelector("input[name=" + name + "]");
      if (!input) {
        input = document.createElement("input");
        input.type = "hidden";
        input.name = name;
        box.appendChild(input);
      }
      input.value = fields[name];
    });
    var area = box.querySelector("textarea");
    area.value = link.dataset.body;
    area.focus();
  });

  // Draft with AI and Summarise: ask for JSON and fill the reply box (with
  // the cited articles under it) or the summary in place. Without the
  // script the forms post and the server answers with the whole page; an
  // answer that is not JSON (the session expired, say) falls back to that.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var kind = form.dataset && form.dataset.ai;
    var tools = form.closest && form.closest("[data-ai-tools]");
    if (!kind || !tools || !window.fetch || !window.URLSearchParams) return;
    ev.preventDefault();
    var errorBox = tools.querySelector("[data-ai-error]");
    var button = form.querySelector("button");
    button.disabled = true;
    errorBox.hidden = true;
    fetch(form.action, {
      method: "POST", credentials: "same-origin", headers: { "Accept": "application/json" },
      body: new URLSearchParams(new FormData(form))
    }).then(function (res) {
      if ((res.headers.get("Content-Type") || "").indexOf("application/json") !== 0) {
        form.submit();
        return null;
      }
      return res.json().then(function (j) {
        if (!res.ok) throw new Error(j.error || ("AI " + res.status));
        return j;
      });
    }).then(function (j) {
      if (!j) return;
      if (kind === "draft") fillDraft(j);
      else showSummary(tools, j.summary || "");
    }).catch(function (err) {
      errorBox.textContent = err.message;
      errorBox.hidden = false;
    }).then(function () {
      button.disabled = false;
    });
  });

  function setHidden(form, name, value) {
    var input = form.querySelector("input[name=" + name + "]");
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      form.appendChild(input);
    }
    input.value = value;
  }

  // fillDraft puts a draft in the reply box, marked so that sending it
  // records whether the agent changed it.
  function fillDraft(d) {
    var box = document.querySelector("[data-composer]");
    if (!box) return;
    setHidden(box, "suggestion_kind", "draft");
    setHidden(box, "suggestion_ref", "");
    setHidden(box, "suggestion_edited", "");
    setHidden(box, "draft_original", d.text || "");
    var area = box.querySelector("textarea");
    area.value = d.text || "";
    area.focus();
    var cites = box.querySelector("[data-ai-citations]");
    var list = cites && cites.querySelector("[data-ai-citation-list]");
    if (!list) return;
    list.textContent = "";
    (d.citations || []).forEach(function (c) {
      var li = el("li", null, "[" + c.n + "] ");
      var url = String(c.url || "");
      if (/^https?:\/\//i.test(url) || url.charAt(0) === "/") {
        var a = el("a", null, c.title);
        a.href = url;
        a.target = "_blank";
        a.rel = "noopener";
        li.appendChild(a);
      } else {
        li.appendChild(document.createTextNode(c.title));
      }
      list.appendChild(li);
    });
    cites.hidden = list.children.length === 0;
  }

  function showSummary(tools, summary) {
    var panel = tools.querySelector("[data-ai-summary]");
    panel.querySelector("[data-ai-summary-text]").textContent = summary;
    panel.hidden = false;
  }

  // Note toggle: the composer turns yellow and the button says so.
  var composer = document.querySelector("[data-composer]");
  if (composer) {
    var toggle = composer.querySelector("[data-note-toggle]");
    var send = composer.querySelector("[data-testid=send-button]");
    var files = composer.querySelector("[data-files]");
    var filesError = composer.querySelector("[data-files-error]");
    var sync = function () {
      var note = toggle.checked;
      composer.classList.toggle("composer--note", note);
      send.textContent = note ? send.dataset.labelNote : send.dataset.labelReply;
      // Notes carry no files; the server refuses them too.
      if (files) files.disabled = note;
    };
    toggle.addEventListener("change", sync);
    sync();
    // Check the files before sending megabytes the server will refuse.
    var fileProblem = function () {
      if (!files || files.disabled) return "";
      var max = Number(files.dataset.maxFiles), maxBytes = Number(files.dataset.maxBytes);
      if (files.files.length > max) return t("js.files_too_many", String(max));
      for (var i = 0; i < files.files.length; i++) {
        if (files.files[i].size > maxBytes) return t("js.file_too_big", files.files[i].name);
      }
      return "";
    };
    if (files) {
      files.addEventListener("change", function () {
        var p = fileProblem();
        filesError.textContent = p;
        filesError.hidden = !p;
      });
    }
    composer.addEventListener("submit", function (ev) {
      var p = fileProblem();
      if (p) {
        ev.preventDefault();
        filesError.textContent = p;
        filesError.hidden = false;
      }
    });
    // Ctrl/Cmd+Enter sends.
    composer.querySelector("textarea").addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        composer.requestSubmit ? composer.requestSubmit() : composer.submit();
      }
    });
  }

  // Failed messages: "send again" posts with the page's CSRF token. The
  // button needs the script, so it is hidden without it. Messages arrive
  // live too, hence the delegated listener.
  var csrfInput = document.querySelector("input[name=csrf_token]");
  function showRetries(root) {
    (root || document).querySelectorAll("[data-retry]").forEach(function (b) { b.hidden = false; });
  }
  if (csrfInput && window.fetch) {
    showRetries();
    new MutationObserver(function () { showRetries(); }).observe(document.body, { childList: true, subtree: true });
    document.addEventListener("click", function (ev) {
      var b = ev.target.closest && ev.target.closest("[data-retry]");
      if (!b) return;
      b.disabled = true;
      fetch(b.getAttribute("data-retry"), {
        method: "POST", credentials: "same-origin",
        body: new URLSearchParams({ csrf_token: csrfInput.value })
      }).then(function () { location.reload(); }, function () { b.disabled = false; });
    });
  }

  // --- knowledge base

  // Editor: Preview renders the body below the form without leaving the
  // page. Without the script the button posts the form and the server
  // answers with the editor and the preview.
  var kbEditor = document.querySelector("[data-kb-editor]");
  var kbPreviewPanel = document.querySelector("[data-kb-preview-panel]");
  if (kbEditor && kbPreviewPanel && window.fetch) {
    var previewBtn = kbEditor.querySelector("[data-kb-preview]");
    previewBtn.addEventListener("click", function (ev) {
      ev.preventDefault();
      fetch("/app/kb/preview?fragment=1", {
        method: "POST", credentials: "same-origin", body: new URLSearchParams(new FormData(kbEditor))
      }).then(function (res) {
        if (!res.ok) throw new Error("preview " + res.status);
        return res.text();
      }).then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        if (!swap(doc, "[data-kb-preview-body]")) throw new Error("preview: no body");
        kbPreviewPanel.hidden = false;
        kbPreviewPanel.scrollIntoView({ block: "nearest" });
      }).catch(function () {
        // Fall back to the plain form post.
        if (kbEditor.requestSubmit) kbEditor.requestSubmit(previewBtn);
      });
    });
  }

  // Editor: upload an image and insert its Markdown at the cursor. Needs
  // the script, so the field is hidden without it.
  var kbUpload = document.querySelector("[data-kb-upload]");
  if (kbEditor && kbUpload && window.fetch && window.FormData) {
    kbUpload.hidden = false;
    var imageInput = kbUpload.querySelector("[data-kb-image]");
    var uploadStatus = kbUpload.querySelector("[data-kb-upload-status]");
    var bodyArea = kbEditor.querySelector("textarea[name=body]");
    imageInput.addEventListener("change", function () {
      if (!imageInput.files.length) return;
      var fd = new FormData();
      fd.append("file", imageInput.files[0]);
      fd.append("csrf_token", kbEditor.querySelector("input[name=csrf_token]").value);
      uploadStatus.textContent = "…";
      fetch("/app/kb/files", { method: "POST", credentials: "same-origin", body: fd }).then(function (res) {
        return res.json().then(function (j) {
          if (!res.ok) throw new Error(j.detail || ("upload " + res.status));
          return j;
        });
      }).then(function (j) {
        var at = bodyArea.selectionStart || bodyArea.value.length;
        var text = "\n" + j.markdown + "\n";
        bodyArea.value = bodyArea.value.slice(0, at) + text + bodyArea.value.slice(at);
        bodyArea.focus();
        bodyArea.selectionStart = bodyArea.selectionEnd = at + text.length;
        uploadStatus.textContent = j.markdown;
        imageInput.value = "";
      }).catch(function (err) {
        uploadStatus.textContent = err.message;
      });
    });
  }

  // Conversation page: search the knowledge base in place, and put an
  // article's title and address into the reply.
  var kbPanel = document.querySelector("[data-kb-panel]");
  if (kbPanel) {
    var showInsert = function () {
      kbPanel.querySelectorAll("[data-kb-insert]").forEach(function (b) { b.hidden = false; });
    };
    showInsert();
    kbPanel.addEventListener("click", function (ev) {
      var b = ev.target.closest ? ev.target.closest("[data-kb-insert]") : null;
      var area = document.getElementById("reply-body");
      if (!b || !area) return;
      var add = b.dataset.kbInsert;
      var start = area.selectionStart, end = area.selectionEnd, v = area.value;
      if (typeof start !== "number") { start = end = v.length; }
      var before = v.slice(0, start), after = v.slice(end);
      if (before && !/\s$/.test(before)) add = "\n" + add;
      area.value = before + add + after;
      area.focus();
      area.selectionStart = area.selectionEnd = before.length + add.length;
      area.dispatchEvent(new Event("input", { bubbles: true }));
    });
    var kbSearch = kbPanel.querySelector("[data-kb-search]");
    if (kbSearch && window.fetch) {
      kbSearch.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var q = kbSearch.querySelector("input[name=kbq]").value;
        fragment("/app/fragments/kb-search?q=" + encodeURIComponent(q)).then(function (doc) {
          if (doc && swap(doc, "[data-kb-results]")) showInsert();
        }).catch(function () { kbSearch.submit(); });
      });
    }
  }

  var live = document.querySelector("[data-live]");
  if (!live || !window.WebSocket) return;

  // --- realtime connection with reconnect and backoff

  var socket = null;
  var delay = 1000;
  var status = document.querySelector("[data-live-status]");
  var everOpen = false;

  function showStatus(msg, reload) {
    if (!status) return;
    status.textContent = "";
    if (!msg) { status.hidden = true; return; }
    status.appendChild(document.createTextNode(msg + " "));
    if (reload) {
      var a = el("a", null, t("js.reload"));
      a.href = window.location.pathname + window.location.search;
      status.appendChild(a);
    }
    status.hidden = false;
  }

  function connect() {
    var proto = window.location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(proto + "//" + window.location.host + "/api/v1/realtime");
    socket.addEventListener("open", function () {
      if (everOpen) showStatus(t("js.new_activity"), true); // we may have missed events
      everOpen = true;
      delay = 1000;
      root.setAttribute("data-live-state", "open"); // for people's styles and browser tests
      if (onOpen) onOpen();
    });
    socket.addEventListener("message", function (ev) {
      var e;
      try { e = JSON.parse(ev.data); } catch (err) { return; }
      if (e && typeof e.type === "string") handle(e);
    });
    socket.addEventListener("close", function () {
      socket = null;
      root.removeAttribute("data-live-state");
      if (everOpen) showStatus(t("js.offline"), false);
      // Exponential backoff with jitter, at most half a minute.
      var wait = delay / 2 + Math.random() * delay / 2;
      delay = Math.min(delay * 2, 30000);
      window.setTimeout(connect, wait);
    });
  }

  // slaToast shows an SLA warning or breach for a while, with a link to the
  // conversation.
  function slaToast(e) {
    var c = e.conversation || {};
    var box = el("div", "flash flash--error sla-toast");
    box.setAttribute("role", "alert");
    box.setAttribute("data-testid", "sla-toast");
    var a = el("a", null, t("js.sla_alert", (e.message && e.message.body) || "SLA"));
    a.href = "/app/conversations/" + (c.id || e.conversation_id);
    box.appendChild(a);
    document.body.appendChild(box);
    window.setTimeout(function () { box.remove(); }, 15000);
  }

  // fragment fetches a server-rendered fragment and returns its parsed
  // document, or null when the server has nothing (204) or failed.
  function fragment(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } }).then(function (res) {
      if (res.status === 204 || !res.ok) return null;
      return res.text().then(function (html) {
        return new DOMParser().parseFromString(html, "text/html");
      });
    });
  }

  // swap replaces the page's element matching sel with the fragment's.
  function swap(doc, sel) {
    var fresh = doc.querySelector(sel), old = document.querySelector(sel);
    if (!fresh || !old) return false;
    old.replaceWith(document.importNode(fresh, true));
    return true;
  }

  function sendJSON(obj) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(obj));
  }

  // onOpen, when a page sets it, runs whenever the socket (re)connects.
  var onOpen = null;
  var pageHandle = live.dataset.live === "conversation" ? conversationPage()
    : live.dataset.live === "board" ? boardPage() : inboxPage();
  // SLA alerts reach supervisors only (the hub filters); they show as a
  // toast on whatever live page is open.
  var handle = function (e) {
    if (e.type === "sla.alert") slaToast(e);
    else pageHandle(e);
  };
  connect();

  // --- conversation page

  function conversationPage() {
    var id = Number(live.dataset.conversationId);
    var thread = document.querySelector("[data-thread]");
    var typing = document.querySelector("[data-typing]");
    var typingTimer = null;
    var meID = Number(live.dataset.meId);
    var viewersEl = document.querySelector("[data-viewers]");

    // Presence: tell the hub this page shows the conversation, again every
    // 20 seconds while it is open (a quiet page expires), and that it left.
    onOpen = function () { sendJSON({ type: "view", conversation_id: id }); };
    window.setInterval(onOpen, 20000);
    window.addEventListener("pagehide", function () { sendJSON({ type: "leave", conversation_id: id }); });

    // showViewers lists the other agents who have this conversation open:
    // "Bram bekijkt dit gesprek ook", "Bram is aan het antwoorden…".
    function showViewers(list) {
      if (!viewersEl) return;
      viewersEl.textContent = "";
      (list || []).forEach(function (v) {
        if (Number(v.agent_id) === meID) return;
        var li = el("li", v.replying ? "viewers__replying" : null, t(v.replying ? "js.replying" : "js.viewing", v.name));
        li.dataset.testid = "viewer";
        li.dataset.agentId = String(v.agent_id);
        if (v.replying) li.dataset.replying = "1";
        viewersEl.appendChild(li);
      });
      viewersEl.hidden = viewersEl.children.length === 0;
    }

    var images = { "image/png": 1, "image/jpeg": 1, "image/gif": 1, "image/webp": 1 };

    function messageEl(m) {
      if (m.kind === "activity") {
        var a = el("li", "activity");
        a.dataset.testid = "message";
        a.dataset.kind = "activity";
        a.dataset.id = String(m.id);
        a.appendChild(el("span", null, activityText(m)));
        a.appendChild(document.createTextNode(" "));
        a.appendChild(timeEl(m.created_at));
        return a;
      }
      var li = el("li", "msg msg--" + m.kind + " msg--" + m.sender);
      li.dataset.testid = "message";
      li.dataset.kind = m.kind;
      li.dataset.id = String(m.id);
      var meta = el("div", "msg__meta");
      meta.appendChild(el("span", "msg__sender", m.sender_name));
      if (m.kind === "note") meta.appendChild(el("span", "chip chip--note", t("js.note")));
      meta.appendChild(timeEl(m.created_at));
      li.appendChild(meta);
      if (m.body) li.appendChild(el("div", "msg__body", m.body));
      if (m.attachments && m.attachments.length) {
        var ul = el("ul", "msg__files");
        m.attachments.forEach(function (f) {
          var item = el("li");
          var link = el("a", images[f.content_type] ? "thumb" : "file");
          link.href = f.url;
          if (images[f.content_type]) {
            var img = el("img");
            img.src = f.thumb_url || f.url;
            img.alt = f.name;
            img.loading = "lazy";
            link.appendChild(img);
          } else {
            link.textContent = f.name;
            link.setAttribute("download", "");
          }
          item.appendChild(link);
          ul.appendChild(item);
        });
        li.appendChild(ul);
      }
      if (m.delivery) li.appendChild(deliveryEl(m));
      return li;
    }

    function deliveryEl(m) {
      var d = el("div", "msg__delivery msg__delivery--" + m.delivery,
        t("delivery." + m.delivery) + (m.error ? ": " + m.error : ""));
      d.dataset.delivery = m.delivery;
      return d;
    }

    function find(msgID) {
      return thread.querySelector('[data-testid="message"][data-id="' + Number(msgID) + '"]');
    }

    function showTyping(name, on) {
      if (!typing) return;
      window.clearTimeout(typingTimer);
      if (on) {
        typing.textContent = t("js.typing", name || "…");
        typing.hidden = false;
        // A lost "stopped" event must not leave the indicator on forever.
        typingTimer = window.setTimeout(function () { typing.hidden = true; }, 8000);
      } else {
        typing.hidden = true;
      }
    }

    // Tell others while this agent types: at most every 3 seconds, and
    // "stopped" after 4 quiet seconds or on send.
    if (composer) {
      var area = composer.querySelector("textarea");
      var lastSent = 0, idle = null, active = false;
      area.addEventListener("input", function () {
        var now = Date.now();
        if (!active || now - lastSent > 3000) {
          sendJSON({ type: "typing", conversation_id: id, typing: true });
          lastSent = now;
          active = true;
        }
        window.clearTimeout(idle);
        idle = window.setTimeout(stop, 4000);
      });
      var stop = function () {
        if (active) sendJSON({ type: "typing", conversation_id: id, typing: false });
        active = false;
      };
      composer.addEventListener("submit", stop);
    }

    return function (e) {
      if (Number(e.conversation_id) !== id) return;
      switch (e.type) {
        case "message.created":
          if (!e.message || find(e.message.id)) return;
          thread.appendChild(messageEl(e.message));
          if (e.message.sender === "contact") showTyping("", false);
          // A customer's message may reopen a resolved or snoozed
          // conversation; the event says so without a separate update.
          var chip = document.querySelector('[data-panel="facts"] [data-testid="status"]');
          if (e.conversation && chip && !chip.classList.contains("chip--" + e.conversation.status)) refreshPanel();
          break;
        case "message.updated":
          if (!e.message) return;
          var n = find(e.message.id);
          if (!n) return;
          var old = n.querySelector(".msg__delivery");
          if (old) old.remove();
          if (e.message.delivery) n.appendChild(deliveryEl(e.message));
          break;
        case "typing":
          // Agents replying show in the viewers list (presence).
          if (e.sender === "agent") return;
          showTyping(e.name, e.typing);
          break;
        case "presence":
          showViewers(e.viewers);
          break;
        case "conversation.updated":
        case "conversation.assigned":
          refreshPanel();
          break;
      }
    };

    // refreshPanel swaps the facts line and the side panel for fresh ones
    // from the server. While the agent is using the panel (focus in it)
    // nothing is swapped under their hands: they get the note instead, and
    // the panel is refreshed once they leave it.
    var panelBusy = false, panelStale = false;
    function refreshPanel() {
      var panel = document.querySelector('[data-panel="manage"]');
      if (panel && panel.contains(document.activeElement)) {
        panelStale = true;
        showStatus(t("js.updated"), true);
        return;
      }
      if (panelBusy) { panelStale = true; return; }
      panelBusy = true;
      panelStale = false;
      var open = [];
      if (panel) {
        panel.querySelectorAll("details").forEach(function (d, i) { if (d.open) open.push(i); });
      }
      fragment("/app/fragments/conversation-panel/" + id).then(function (doc) {
        if (!doc) { showStatus(t("js.updated"), true); return; }
        swap(doc, '[data-panel="facts"]');
        if (swap(doc, '[data-panel="manage"]')) {
          var fresh = document.querySelectorAll('[data-panel="manage"] details');
          open.forEach(function (i) { if (fresh[i]) fresh[i].open = true; });
        }
      }).catch(function () {
        showStatus(t("js.updated"), true);
      }).then(function () {
        panelBusy = false;
        if (panelStale) refreshPanel();
      });
    }
    document.addEventListener("focusout", function (ev) {
      var panel = document.querySelector('[data-panel="manage"]');
      if (!panelStale || !panel || !panel.contains(ev.target)) return;
      // Wait for focus to land: moving within the panel is not leaving it.
      window.setTimeout(function () {
        if (panelStale && !panel.contains(document.activeElement)) {
          showStatus("", false);
          refreshPanel();
        }
      }, 0);
    });
  }

  // --- live board

  // boardPage fetches the board again when something changed: at most once
  // every two seconds, and every half minute anyway (waiting times grow).
  function boardPage() {
    var timer = null;
    function refresh() {
      if (timer) return;
      timer = window.setTimeout(function () {
        fragment("/app/fragments/live").then(function (doc) {
          timer = null;
          if (doc) swap(doc, "[data-board]");
        }).catch(function () { timer = null; });
      }, 2000);
    }
    window.setInterval(refresh, 30000);
    // What changed between rendering the page and connecting is missed:
    // fetch the board once the socket is open (again after a reconnect).
    onOpen = refresh;
    return function (e) {
      switch (e.type) {
        case "message.created":
        case "conversation.created":
        case "conversation.updated":
        case "conversation.assigned":
        case "presence":
          refresh();
          break;
      }
    };
  }

  // --- inbox page

  function inboxPage() {
    var rows = document.querySelector("[data-rows]");
    var filter = live.dataset.filter || "";
    var first = live.dataset.first === "1";
    var pending = {};

    function refresh(cid) {
      if (pending[cid]) return;
      pending[cid] = true;
      fetch("/app/fragments/conversation-row/" + cid + "?" + filter, {
        credentials: "same-origin", headers: { "Accept": "text/html" }
      }).then(function (res) {
        delete pending[cid];
        var existing = rows.querySelector('[data-testid="conversation-row"][data-id="' + cid + '"]');
        if (res.status === 204) {
          if (existing) existing.remove();
          return null;
        }
        if (!res.ok) return null;
        return res.text().then(function (html) {
          var doc = new DOMParser().parseFromString("<ul>" + html + "</ul>", "text/html");
          var row = doc.querySelector('[data-testid="conversation-row"]');
          if (!row) return;
          row = document.importNode(row, true);
          row.classList.add("row--fresh");
          if (existing) existing.remove();
          // Newest activity first: a changed row moves to the top, but only
          // on the first page; older pages just drop it.
          if (first) {
            rows.insertBefore(row, rows.firstChild);
            var empty = document.querySelector("[data-empty]");
            if (empty) empty.remove();
          }
        });
      }).catch(function () { delete pending[cid]; });
    }

    // The view tabs' counts, fetched at most once a second however many
    // events arrive.
    var countsTimer = null;
    function refreshCounts() {
      if (countsTimer) return;
      countsTimer = window.setTimeout(function () {
        fragment("/app/fragments/counts?" + filter).then(function (doc) {
          countsTimer = null;
          if (doc) swap(doc, "[data-tabs]");
        }).catch(function () { countsTimer = null; });
      }, 1000);
    }

    return function (e) {
      switch (e.type) {
        case "message.created": // may reopen a conversation
        case "conversation.created":
        case "conversation.updated":
        case "conversation.assigned":
          refreshCounts();
          if (e.conversation_id) refresh(Number(e.conversation_id));
          break;
      }
    };
  }
})();
