// Package routing decides where a conversation goes: which team and skills it
// needs (Match over the admin's Rules), which agent takes it (Router.Pick and
// Router.Assign: account owner first, then least loaded or round robin among
// the online agents of the team with the skills and capacity left on the
// channel), and in what order waiting conversations are offered when capacity
// frees (Queue, Router.NextFor).
//
// The package is a pure, in-memory decision core: it holds no store and does
// no I/O. The caller loads agents, teams and rules from the store, keeps the
// Router current from events, and writes the decisions back. It imports only
// the standard library and internal/desk (for channel kinds, priorities,
// availability and the sentinel errors).
package routing
