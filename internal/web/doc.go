// Package web is balie's server-rendered agent interface: the login page, the
// agent workspace under /app (inbox, conversation, search, contact) and the
// admin pages under /admin (agents, teams, inboxes).
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
// contact services, and admin edits of agents, teams and inboxes to the store.
// Authentication belongs to the auth package and the server: the server puts
// an auth.Principal in the request context; every handler here checks it again
// and checks the CSRF token on every POST.
//
// Roles: agents use /app. /admin is visible to supervisors and admins;
// supervisors may edit teams (auth.TeamsManage) and see the agent and inbox
// lists read-only; only admins change agents and inboxes. An agent on /admin
// gets 403.
//
// web imports desk, auth, conversation and contact (and, in tests only, the
// SQLite store and the bus).
package web
