package privacy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Retention: per channel, resolved conversations whose last activity is
// older than Days are deleted, or stripped to an anonymous shell (no
// messages, files, subject or labels; the row stays on the customer's
// history and in the reports). The customer's profile stays either way:
// removing the person is an erasure.

// Mode is what retention does with an expired conversation.
type Mode string

const (
	ModeDelete    Mode = "delete"
	ModeAnonymise Mode = "anonymise"
)

// Policy is the retention of one channel; Days 0 keeps forever.
type Policy struct {
	Channel desk.ChannelKind `json:"channel"`
	Days    int              `json:"days"`
	Mode    Mode             `json:"mode"`
}

// SettingKey is where the policies are kept (desk.SettingStore, JSON).
const SettingKey = "privacy.retention"

// batch is how many conversations one transaction erases: short write
// transactions, as SQLite wants.
const batch = 50

// Policies reads the retention policies; none set is an empty list.
func (s *Service) Policies(ctx context.Context) ([]Policy, error) {
	v, err := s.store.Setting(ctx, SettingKey)
	if errors.Is(err, desk.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("privacy: policies: %w", err)
	}
	var ps []Policy
	if err := json.Unmarshal([]byte(v), &ps); err != nil {
		return nil, fmt.Errorf("privacy: policies: %w", err)
	}
	return ps, nil
}

// SetPolicies validates and stores the policies: known channels, each
// once, Days between 0 (keep) and 36500, a known mode.
func (s *Service) SetPolicies(ctx context.Context, ps []Policy) error {
	seen := map[desk.ChannelKind]bool{}
	for _, p := range ps {
		switch {
		case !desk.KnownChannel(p.Channel):
			return fmt.Errorf("privacy: policies: %w", desk.Invalid("channel", "unknown channel "+string(p.Channel)))
		case seen[p.Channel]:
			return fmt.Errorf("privacy: policies: %w", desk.Invalid("channel", string(p.Channel)+" twice"))
		case p.Days < 0 || p.Days > 36500:
			return fmt.Errorf("privacy: policies: %w", desk.Invalid("days", "between 0 and 36500"))
		case p.Mode != ModeDelete && p.Mode != ModeAnonymise:
			return fmt.Errorf("privacy: policies: %w", desk.Invalid("mode", "delete or anonymise"))
		}
		seen[p.Channel] = true
	}
	b, err := json.Marshal(ps)
	if err != nil {
		return fmt.Errorf("privacy: policies: %w", err)
	}
	if err := s.store.SetSetting(ctx, SettingKey, string(b)); err != nil {
		return fmt.Errorf("privacy: policies: %w", err)
	}
	return nil
}

// ApplyRetention runs every policy once, in batches, and stores one report
// per channel that had anything to remove. It returns the reports.
func (s *Service) ApplyRetention(ctx context.Context) ([]desk.ErasureReport, error) {
	ps, err := s.Policies(ctx)
	if err != nil {
		return nil, err
	}
	var out []desk.ErasureReport
	for _, p := range ps {
		if p.Days == 0 {
			continue
		}
		before := s.clock.Now().Add(-time.Duration(p.Days) * 24 * time.Hour)
		total := &desk.Erasure{Removed: map[string]int{}}
		for {
			ids, err := s.store.ExpiredConversations(ctx, p.Channel, before, batch)
			if err != nil {
				return out, fmt.Errorf("privacy: retention %s: %w", p.Channel, err)
			}
			if len(ids) == 0 {
				break
			}
			e, err := s.store.EraseConversations(ctx, ids, p.Mode == ModeAnonymise)
			if err != nil {
				return out, fmt.Errorf("privacy: retention %s: %w", p.Channel, err)
			}
			total.ConversationIDs = append(total.ConversationIDs, e.ConversationIDs...)
			total.MessageIDs = append(total.MessageIDs, e.MessageIDs...)
			total.BlobKeys = append(total.BlobKeys, e.BlobKeys...)
			total.Unpurged = total.Unpurged || e.Unpurged
			for k, n := range e.Removed {
				total.Removed[k] += n
			}
			if len(e.MessageIDs) == 0 {
				break // nothing was left to remove: do not loop on the same ids
			}
		}
		if len(total.ConversationIDs) == 0 {
			continue
		}
		r := &desk.ErasureReport{Reason: "retention"}
		// A shell keeps its conversation id; only messages are checked.
		probe := desk.ResidueProbe{MessageIDs: total.MessageIDs}
		if p.Mode == ModeDelete {
			probe.ConversationIDs = total.ConversationIDs
		}
		if err := s.finish(ctx, total, r, probe); err != nil {
			return out, err
		}
		out = append(out, *r)
	}
	return out, nil
}

// RetentionJob applies the policies at most once an hour, for the
// worker's sweeper, which calls it every few seconds. Every node may run
// it: an erasure of conversations another node erased is a no-op.
func (s *Service) RetentionJob(ctx context.Context) error {
	now := s.clock.Now()
	s.mu.Lock()
	due := s.retainedAt.IsZero() || now.Sub(s.retainedAt) >= time.Hour
	if due {
		s.retainedAt = now
	}
	s.mu.Unlock()
	if !due {
		return nil
	}
	_, err := s.ApplyRetention(ctx)
	return err
}
