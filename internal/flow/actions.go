package flow

import (
	"context"

	"github.com/balie-dev/balie/internal/desk"
)

// Actions runs the self-service checks that action steps name (order
// status, delivery address, ...). Package selfservice will provide the real
// ones; the service works without (every action then fails, so the flow
// takes its "fail" branch, which usually hands over).
type Actions interface {
	// HasAction reports whether name is a known action; publishing a flow
	// that names an unknown one is desk.ErrInvalid.
	HasAction(name string) bool
	// RunAction runs the action for a run (whose ID is still 0 when the
	// action comes before the first question). An error counts as a failed
	// check: the customer goes on along the "fail" branch.
	RunAction(ctx context.Context, name string, params map[string]string, run *desk.FlowRun) (ActionResult, error)
}

// ActionResult is what a check found.
type ActionResult struct {
	OK bool
	// Message is shown to the customer before the next step, for example
	// "Your order ORD-123 was shipped yesterday." (Markdown).
	Message string
}

// Echo is a stand-in Actions for tests and previews: every name is known,
// and an action succeeds unless its params say result "fail"; its message
// is params["message"].
type Echo struct{}

// HasAction implements Actions.
func (Echo) HasAction(string) bool { return true }

// RunAction implements Actions.
func (Echo) RunAction(_ context.Context, _ string, params map[string]string, _ *desk.FlowRun) (ActionResult, error) {
	return ActionResult{OK: params["result"] != ActionFail, Message: params["message"]}, nil
}
