// Package slawatch applies the service levels of internal/sla to balie's
// conversations: it keeps the SLA policies and the teams' business hours,
// runs the sweep that attaches a policy to each open conversation, keeps its
// SLA state and due time up to date and escalates warnings and breaches
// exactly once (a note in the thread and an event for supervisors), sends
// the out-of-hours auto-reply, and tells the pages where a conversation
// stands (the inbox badge and the conversation's SLA panel).
//
// The clock semantics are sla's (see docs/sla.md); this package does the
// I/O around them. It imports desk, sla, conversation and front (for the
// bot's settings of an inbox), never an adapter.
package slawatch
