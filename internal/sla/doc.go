// Package sla is the pure core of business hours, holidays and SLA clocks.
//
// Hours says when a team works: opening spans per weekday in a time zone,
// holidays that close a day or replace its hours, and optionally the Dutch
// public holidays. Its Add and Between count business time, so that "4 hours"
// on a Friday at 15:00 with 09:00-17:00 hours is due Monday at 11:00, and a
// 09:00-17:00 day is 8 hours even on the days the clocks change.
//
// A Policy holds response and resolution targets; Select picks the first
// policy that matches a conversation's facts, and Evaluate replays a
// conversation's history (Events) into one Target per clock, each running,
// warning, breached, paused, met or met late. Transitions compares two
// evaluations so that a sweep notifies a supervisor exactly once per warning
// or breach.
//
// The clocks, decided here (Zendesk and Freshdesk do much the same):
//
//   - First response runs from the customer's first message to the first
//     public agent reply. Notes, bot and system messages do not count. When
//     an agent wrote first (an outbound conversation) there is no first
//     response target; the customer's answer starts a next response.
//     What the bot handles is not waiting for an agent: EventsFrom starts
//     the clock at the bot's handover, and a conversation the bot settles
//     has no response targets.
//   - Next response runs from the first customer message after an agent
//     reply (or after a resolve) to the next agent reply. Only the latest
//     cycle is reported.
//   - Resolving stops a running response clock: the target counts as met at
//     the resolve (a customer's "thanks!" should not breach).
//   - Resolution runs from the conversation's creation to its resolve. Time
//     while resolved or paused (pending: waiting for the customer) does not
//     count; a reopen or a customer message resumes it. Snoozing does not
//     pause it: the agent chose to wait, the customer did not.
//   - With Policy.BusinessHours the clocks count only business time;
//     otherwise they count wall-clock time.
//   - Evaluation is a pure function of policy, hours, history and now: when
//     a conversation's priority changes, select the policy again and
//     evaluate; the targets are recomputed from the whole history.
//
// sla imports only the standard library and internal/desk; it does no I/O.
package sla
