// Package flow is balie's guided troubleshooting: flows of steps that ask
// the customer questions, show instructions and knowledge-base articles,
// run self-service checks, and end solved, in an article, or in a hand-over
// to a team. The same flow runs on a help-center page (with or without
// JavaScript), in the widget, and in messaging conversations through the
// bot, where choices are numbered ("1. Ja  2. Nee") and typed answers are
// understood.
//
// # Definition
//
// A flow's definition is JSON that this package owns; the store keeps it
// as text (desk.Flow.Definition for the draft, desk.FlowVersion for each
// published version). Steps have stable ids; Start names the first:
//
//	{
//	  "start": "kind",
//	  "team": 3,
//	  "steps": [
//	    {"id": "kind", "kind": "question", "text": "Wat is er aan de hand?",
//	     "options": [
//	       {"label": "Mijn pakket is niet bezorgd", "next": "order"},
//	       {"label": "Ik wil retourneren", "next": "return-info"}]},
//	    {"id": "order", "kind": "input", "text": "Wat is je ordernummer?",
//	     "pattern": "ORD-?[0-9]{5}", "hint": "Een ordernummer ziet eruit als ORD-12345.",
//	     "var": "order", "next": "check"},
//	    {"id": "check", "kind": "action", "action": "order_status",
//	     "params": {"order": "{{order}}"}, "ok": "done", "fail": "agent"},
//	    {"id": "return-info", "kind": "article", "article": 42, "next": "agent"},
//	    {"id": "done", "kind": "end", "outcome": "solved"},
//	    {"id": "agent", "kind": "end", "outcome": "handover", "team": 3,
//	     "text": "Een collega kijkt met je mee."}
//	  ]
//	}
//
// Kinds: question (text, options → next), input (free text → next; an
// optional pattern the answer must contain, whose match becomes the answer),
// article (a knowledge-base article by GroupID, then "did this solve it?":
// yes ends solved, no goes to next), message (Markdown instructions, shown
// with whatever comes next), action (a named self-service check with
// params; "{{var}}" takes an input's answer; ok and fail lead on), and end
// (outcome solved, article or handover; a team and a message).
//
// Parse decodes strictly and Validate checks: ids, kinds, texts and limits
// (MaxSteps, MaxOptions, ...), every next a step, every step reachable and
// able to reach an end, and no cycle that the customer cannot leave: a
// cycle must pass through a question. Errors match desk.ErrInvalid and name
// the steps.
//
// # Running
//
// The runner is a pure state machine: Start(def) gives a State, Answer(def,
// state, text) the next one, Show(def, state) the View to show (a question
// with numbered options, an input prompt, an article with yes/no, or the
// end with its outcome). A State is plain JSON, so a bot or a form can keep
// it between messages; Replay rebuilds it from a run's recorded path. An
// answer is read as an option's number (a number always means that), its
// label (ignoring case and diacritics), or a close match; one that is not
// understood is asked again with a hint, and the MaxMisses-th in a row
// hands over, as does a run past MaxAnswers answers. Action steps stop
// the pure runner with a ViewAction; the Service runs them through Actions.
//
// # Service
//
// Service keeps flows through desk.FlowStore: drafts are created and
// updated (validated), Publish stores the draft as a new FlowVersion, and
// customers only ever get the published version (PublicFlow). Translations
// share a GroupID (Input.TranslationOf). StartRun and AnswerRun run a flow
// for a visitor and record the path with times and the outcome on a
// desk.FlowRun; Report tells a run for the agent who takes over; Stats adds
// up runs per step (reached, drop-off, answers) and per outcome.
//
// Texts in views are the author's Markdown and the customer's own input:
// callers render them as untrusted.
//
// flow imports desk, lang and kb (for its locale and slug rules); it finds
// articles through the small Articles interface, which *kb.Service meets.
package flow
