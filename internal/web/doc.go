// Package web is balie's server-rendered agent interface: the login page, the
// agent workspace under /app (inbox, conversation, search, contact, and
// every agent's own profile with password and API tokens) and the admin pages
// under /admin (agents, teams, inboxes, outgoing webhooks).
//
// Pages are html/template files embedded with go:embed and parsed once at
// boot, one set per UI language, so that the template function T is bound to
// its locale. Static files (one CSS file, one small script) are embedded too
// and served under /static/ with a content hash in their URL. There is no
// build step and nothing is loaded from another origin; no template holds an
// inline script or event handler, so a strict Content-Security-Policy
// (script-src 'self') works.
//
// Times are rendered on the server in Deps.Location (default
// Europe/Amsterdam, where balie's users work) inside <time datetime="...">
// elements; the script formats the times of live-appended messages in the
// same zone, which it reads from the page.
//
// Reads go straight to the store; writes go through the conversation and
// contact services, agents are created and changed through Deps.Agents (the
// rules of auth.Agents, shared with the API), and admin edits of teams,
// inboxes and webhooks go to the store. Files attached to replies are stored through Deps.Uploads
// before the reply is written. Secrets (a generated webhook secret, a new API
// token) are shown on the one response that created them and never again.
// Authentication belongs to the auth package and the server: the server puts
// an auth.Principal in the request context; every handler here checks it again
// and checks the CSRF token on every POST.
//
// Roles: agents use /app. /admin is visible to supervisors and admins;
// supervisors may edit teams (auth.TeamsManage) and see the agent, inbox and
// webhook lists read-only; only admins change agents, inboxes and webhooks. An agent on /admin
// gets 403.
//
// The knowledge base (/app/kb, when Deps.KB is set) goes through
// kb.Service: every agent lists, searches and reads articles (internal ones
// too) and the categories; supervisors and admins write articles (editor
// with a Markdown preview that works without the script, translations,
// status, review date, revision history and restore), categories and
// sections, and read the search analytics, where a content gap becomes a
// draft in one click, and the contact page's deflection per topic; admins
// delete and set the synonyms, pinned questions and the help center's
// theme. The conversation page has a small article
// search whose results the script puts into the reply. Agents' searches are
// not logged for analytics.
//
// The digital front line (when Deps.Front is set): the conversation page
// shows the category (who set it) and the language, lets any agent correct
// the category (front.SetCategory, which trains the classifier), shows what
// the bot did before it handed over, and suggests replies that send in one
// click or go into the reply box to edit (?use=kind:ref, without the
// script); what was sent is recorded for the ranking. Saved replies are
// under /app/replies (agents read, supervisors write); admins edit the
// categories, business hours and training examples under /admin/front and
// each inbox's bot and proactive triggers on the inbox page. With a
// generative-AI provider configured (admins, /admin/front), the
// conversation page drafts an answer from the knowledge base into the
// reply box, its sources listed, and summarises the conversation; a sent
// draft is recorded as picked or edited. Guided flows
// (Deps.Flows) are authored under /app/flows by supervisors: a JSON
// definition with a readable rendering of its steps, a preview that runs
// the draft with plain forms (the runner's state in a hidden field, no
// runs stored), versions, publish, archive and per-step analytics.
//
// Errors become statuses through problem.Status, the mapping the API and the
// widget use too. Open pages stay current through the realtime WebSocket and
// server-rendered fragments under /app/fragments/ (an inbox row, the view
// tabs' counts, a conversation's facts and side panel).
//
// web imports desk, auth, conversation, contact, kb, kb/markdown, front,
// assist/llm (its errors only), flow and problem
// (and, in tests only, the stores and the bus).
package web
