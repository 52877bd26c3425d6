// Package routing decides where a conversation goes and makes it so.
//
// The decision core is pure and in memory: which team and skills a
// conversation needs (Match over the admin's Rules), which agent takes it
// (Router.Pick and Router.Assign: account owner first, then least loaded or
// round robin among the online agents of the team with the skills and
// capacity left on the channel), and in what order waiting conversations are
// offered when capacity frees (Queue, Router.NextFor). It holds no store and
// does no I/O.
//
// Service wires the core into balie. It loads teams, enabled agents, rules
// and who holds which open conversation from the store, follows the bus
// (conversation created, updated, assigned; customer messages, which reopen
// conversations) and re-reads agents, teams and rules every SyncEvery, which
// is also how presence changes reach it. A conversation needs an agent when it
// is open, unassigned and not in the bot's hands (bot on and not handed over):
// new ones (after a short wait for the classifier's category), bot hand-overs,
// conversations given back to the queue and reopened ones. It is assigned
// through conversation.Service.Update as "balie" (activity line, events,
// webhooks), with the rule's team and raised priority; when nobody can take
// it, it waits in the queue, and the customer on web chat or a messaging app
// is told their place and an honest wait estimate (the median of the team's
// recent waits, or "we can't tell yet"), and offered to stop waiting when the
// wait is long. Capacity that frees (resolved, reassigned, an agent coming
// online or getting more room) goes to the oldest waiting conversation the
// agent may take.
//
// Several nodes: exactly one node routes, so that no agent is double-booked
// and no customer told twice. Options.Lead elects it: on PostgreSQL the node
// holding a session advisory lock (internal/app), which passes to another
// node within seconds when that node or its connection dies; on SQLite the
// single node. The bus spans nodes, so the routing node sees every node's
// events; the others route nothing. Rule editing and the preview work on any
// node, from the store. After a restart or a change of leader the queue is
// rebuilt from the open unassigned conversations (waits keep their
// WaitingSince; round-robin history and wait estimates start afresh).
//
// routing imports the standard library, internal/desk and
// internal/conversation (for its Actor and Change types).
package routing
