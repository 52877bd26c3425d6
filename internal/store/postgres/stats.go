package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/store/rollup"
)

// Analytics rollups (desk.AnalyticsStore). The metrics are counted in Go by
// desk.Rollup, so both drivers agree on their definitions; SQL only finds
// the hours, reads the facts and sums the rows.

// statsLock is the advisory lock key that serialises rebuild transactions
// across nodes: two nodes replacing the same hour at once would otherwise
// both insert its rows.
const statsLock = 0x62616c6965_01 // "balie", 1

const factColumns = `c.id, c.channel, COALESCE(c.team_id, 0), c.category, COALESCE(c.assignee_id, 0), c.status,
	c.priority, c.reopens, c.sla_policy_id, c.sla_state, c.created_at, c.first_reply_at, c.handed_over_at, c.resolved_at`

func scanFact(row pgx.Row, f *desk.ConversationFact) error {
	var replied, handed, resolved *time.Time
	if err := row.Scan(&f.ID, &f.Channel, &f.TeamID, &f.Category, &f.AssigneeID, &f.Status, &f.Priority, &f.Reopens,
		&f.SLAPolicyID, &f.SLAState, &f.CreatedAt, &replied, &handed, &resolved); err != nil {
		return err
	}
	f.CreatedAt = f.CreatedAt.UTC()
	f.FirstReplyAt, f.HandedOverAt, f.ResolvedAt = timeOf(replied), timeOf(handed), timeOf(resolved)
	return nil
}

func (s *Store) RebuildStats(ctx context.Context, since time.Time) (int, error) {
	hours, err := s.staleHours(ctx, since)
	if err != nil {
		return 0, err
	}
	for _, batch := range rollup.Batches(hours) {
		err := s.atomically(ctx, func(s *Store) error {
			if err := s.rebuildHours(ctx, batch); err != nil {
				return err
			}
			return s.rebuildCubes(ctx, rollup.DaysOf(batch))
		})
		if err != nil {
			return 0, wrap("rebuild stats", err)
		}
	}
	return len(hours), nil
}

// staleHours lists, in order, the hours to recompute: those of conversations
// updated since; for a full rebuild also the hours that have rows, so rows
// of conversations that are gone go too.
func (s *Store) staleHours(ctx context.Context, since time.Time) ([]time.Time, error) {
	query := `SELECT DISTINCT date_trunc('hour', created_at) FROM conversations WHERE updated_at >= $1`
	var arg any = ts(since)
	if since.IsZero() {
		query = `SELECT date_trunc('hour', created_at) FROM conversations UNION SELECT hour FROM conversation_stats`
		arg = nil
	}
	var rows pgx.Rows
	var err error
	if arg == nil {
		rows, err = s.q.Query(ctx, query)
	} else {
		rows, err = s.q.Query(ctx, query, arg)
	}
	if err != nil {
		return nil, wrap("rebuild stats: hours", err)
	}
	hours, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (time.Time, error) {
		var h time.Time
		err := r.Scan(&h)
		return h.UTC(), err
	})
	if err != nil {
		return nil, wrap("rebuild stats: hours", err)
	}
	slices.SortFunc(hours, func(a, b time.Time) int { return a.Compare(b) })
	return hours, nil
}

// rebuildHours replaces the rows of the given hours with a fresh count; s is
// in a transaction.
func (s *Store) rebuildHours(ctx context.Context, hours []time.Time) error {
	if _, err := s.q.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(statsLock)); err != nil {
		return err
	}
	if _, err := s.q.Exec(ctx, `DELETE FROM conversation_stats WHERE hour = ANY($1)`, hours); err != nil {
		return err
	}
	var facts []desk.ConversationFact
	for _, h := range hours {
		// Erased conversations count on, anonymously, from their facts.
		got, err := s.readFacts(ctx, `SELECT `+factColumns+` FROM conversations c
			WHERE c.created_at >= $1 AND c.created_at < $2
			UNION ALL SELECT `+factColumns+` FROM erased_facts c WHERE c.created_at >= $1 AND c.created_at < $2`,
			h, h.Add(time.Hour))
		if err != nil {
			return err
		}
		facts = append(facts, got...)
	}
	rs := desk.Rollup(facts)
	rows := make([]rollup.Row, len(rs))
	for i, r := range rs {
		rows[i] = rollup.Row{Period: r.Hour, StatsRow: r}
	}
	return s.insertCube(ctx, rollup.BaseCube(), rows)
}

const countCols = `created, resolved, first_replied, fcr, bot_resolved, handed_over, sla_breached, sla_met,
	first_response, resolution`

// insertCube writes rows of cube c in one statement, columns as arrays.
func (s *Store) insertCube(ctx context.Context, c rollup.Cube, rs []rollup.Row) error {
	if len(rs) == 0 {
		return nil
	}
	var (
		cube                   = make([]int, len(rs))
		period                 = make([]time.Time, len(rs))
		channel, category      = make([]string, len(rs)), make([]string, len(rs))
		team, assignee         = make([]int64, len(rs)), make([]int64, len(rs))
		counts                 [8][]int64
		firstResp, resolutions = make([]string, len(rs)), make([]string, len(rs))
	)
	for i := range counts {
		counts[i] = make([]int64, len(rs))
	}
	for i, r := range rs {
		cube[i], period[i] = c.ID, r.Period
		channel[i], team[i], category[i], assignee[i] = string(r.Channel), r.TeamID, r.Category, r.AssigneeID
		for j, v := range []int64{r.Created, r.Resolved, r.FirstReplied, r.FCR, r.BotResolved, r.HandedOver,
			r.SLABreached, r.SLAMet} {
			counts[j][i] = v
		}
		firstResp[i], resolutions[i] = r.FirstResponse.String(), r.Resolution.String()
	}
	const arrays = `$6::int[], $7::int[], $8::int[], $9::int[], $10::int[], $11::int[], $12::int[], $13::int[],
		$14::text[], $15::text[]`
	var query string
	args := []any{period, channel, team, category, assignee}
	switch c.Table {
	case rollup.Base:
		query = `INSERT INTO conversation_stats (hour, channel, team_id, category, assignee_id, ` + countCols + `)
			SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::bigint[], $4::text[], $5::bigint[], ` + arrays + `)`
	case rollup.Hours:
		query = `INSERT INTO conversation_stats_hour (hour, channel, team_id, category, ` + countCols + `, cube)
			SELECT h, ch, t, cat, c1, c2, c3, c4, c5, c6, c7, c8, fr, res, $16::smallint FROM unnest($1::timestamptz[],
			$2::text[], $3::bigint[], $4::text[], $5::bigint[], ` + arrays + `)
			AS u(h, ch, t, cat, a, c1, c2, c3, c4, c5, c6, c7, c8, fr, res)`
	default:
		query = `INSERT INTO conversation_stats_period (period, channel, team_id, category, assignee_id, ` + countCols + `,
			cube) SELECT *, $16::smallint FROM unnest($1::timestamptz[], $2::text[], $3::bigint[], $4::text[],
			$5::bigint[], ` + arrays + `)`
	}
	args = append(args, counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], counts[6], counts[7],
		firstResp, resolutions)
	if c.Table != rollup.Base {
		args = append(args, c.ID)
	}
	_, err := s.q.Exec(ctx, query, args...)
	return err
}

// rebuildCubes recomputes, from conversation_stats, the hourly and day cube
// rows of the given UTC days and the month cube rows of their months; s is
// in a transaction.
func (s *Store) rebuildCubes(ctx context.Context, days []time.Time) error {
	dayIDs, monthIDs := rollup.IDs(rollup.DayCubes()), rollup.IDs(rollup.MonthCubes())
	for _, d := range days {
		to := rollup.Next(d, rollup.Day)
		rows, err := s.readCounts(ctx, `SELECT hour, channel, team_id, category, assignee_id, `+countCols+`
			FROM conversation_stats WHERE hour >= $1 AND hour < $2`, d, to)
		if err != nil {
			return err
		}
		if _, err := s.q.Exec(ctx, `DELETE FROM conversation_stats_hour WHERE hour >= $1 AND hour < $2`, d, to); err != nil {
			return err
		}
		if _, err := s.q.Exec(ctx, `DELETE FROM conversation_stats_period WHERE cube = ANY($1) AND period = $2`,
			dayIDs, d); err != nil {
			return err
		}
		for _, c := range append(rollup.HourCubes(), rollup.DayCubes()...) {
			if err := s.insertCube(ctx, c, rollup.Project(rows, rollup.HourOf, c)); err != nil {
				return err
			}
		}
	}
	for _, m := range rollup.MonthsOf(days) {
		if _, err := s.q.Exec(ctx, `DELETE FROM conversation_stats_period WHERE cube = ANY($1) AND period = $2`,
			monthIDs, m); err != nil {
			return err
		}
		for _, c := range rollup.DayCubes() {
			rows, err := s.readCounts(ctx, `SELECT period, channel, team_id, category, assignee_id, `+countCols+`
				FROM conversation_stats_period WHERE cube = $1 AND period >= $2 AND period < $3`,
				c.ID, m, rollup.Next(m, rollup.Month))
			if err != nil {
				return err
			}
			if err := s.insertCube(ctx, rollup.MonthOf(c), rollup.Project(rows, rollup.HourOf, rollup.MonthOf(c))); err != nil {
				return err
			}
		}
	}
	return nil
}

// readCounts reads rows of (time, channel, team, category, assignee,
// counts...), the time into Hour.
func (s *Store) readCounts(ctx context.Context, query string, args ...any) ([]desk.StatsRow, error) {
	rows, err := s.q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []desk.StatsRow
	for rows.Next() {
		var r desk.StatsRow
		var channel, fr, res string
		if err := rows.Scan(&r.Hour, &channel, &r.TeamID, &r.Category, &r.AssigneeID, &r.Created, &r.Resolved,
			&r.FirstReplied, &r.FCR, &r.BotResolved, &r.HandedOver, &r.SLABreached, &r.SLAMet, &fr, &res); err != nil {
			return nil, err
		}
		r.Hour, r.Channel = r.Hour.UTC(), desk.ChannelKind(channel)
		if err := r.FirstResponse.AddText(fr); err != nil {
			return nil, err
		}
		if err := r.Resolution.AddText(res); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *Store) readFacts(ctx context.Context, query string, args ...any) ([]desk.ConversationFact, error) {
	rows, err := s.q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []desk.ConversationFact
	for rows.Next() {
		var f desk.ConversationFact
		if err := scanFact(rows, &f); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// statsWhere turns a filter into WHERE terms; prefix qualifies the columns
// and created names the time column.
func statsWhere(f desk.StatsFilter, prefix, created string, coalesce bool) (string, []any) {
	var where []string
	var args []any
	add := func(term string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(term, "$", "$"+strconv.Itoa(len(args))))
	}
	col := func(c string) string {
		if coalesce {
			return "COALESCE(" + prefix + c + ", 0)"
		}
		return prefix + c
	}
	if !f.From.IsZero() {
		add(prefix+created+" >= $", ts(f.From))
	}
	if !f.To.IsZero() {
		add(prefix+created+" < $", ts(f.To))
	}
	if f.Channel != "" {
		add(prefix+"channel = $", string(f.Channel))
	}
	if f.TeamID != 0 {
		add(col("team_id")+" = $", max(f.TeamID, 0))
	}
	if f.Category != "" {
		add(prefix+"category = $", f.Category)
	}
	if f.AssigneeID != 0 {
		add(col("assignee_id")+" = $", max(f.AssigneeID, 0))
	}
	if len(where) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

var statsDimCols = map[desk.StatsDim]string{
	desk.DimHour: "t", desk.DimChannel: "channel", desk.DimTeam: "team_id",
	desk.DimCategory: "category", desk.DimAgent: "assignee_id",
}

// segmentSQL selects the rows of one plan segment, with the time as t,
// numbering its parameters after those already in args; see countsOf for
// subs.
func segmentSQL(seg rollup.Segment, f desk.StatsFilter, subs bool, args []any) (string, []any) {
	table, tcol, agent := "conversation_stats", "hour", "assignee_id"
	switch seg.Cube.Table {
	case rollup.Hours:
		table, agent = "conversation_stats_hour", "0::bigint"
	case rollup.Periods:
		table, tcol = "conversation_stats_period", "period"
	}
	var where []string
	add := func(term string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(term, "$", "$"+strconv.Itoa(len(args))))
	}
	if seg.Cube.Table != rollup.Base {
		add("cube = $", seg.Cube.ID)
		// On the hourly cubes, the dimensions they drop as their
		// constants, so the key is used all the way to the hour.
		if seg.Cube.Table == rollup.Hours {
			if !seg.Cube.Dims.Has(rollup.Channel) {
				where = append(where, "channel = ''")
			}
			if !seg.Cube.Dims.Has(rollup.Team) {
				where = append(where, "team_id = 0")
			}
			if !seg.Cube.Dims.Has(rollup.Category) {
				where = append(where, "category = ''")
			}
		}
	}
	if !seg.From.IsZero() {
		add(tcol+" >= $", ts(seg.From))
	}
	if !seg.To.IsZero() {
		add(tcol+" < $", ts(seg.To))
	}
	if f.Channel != "" {
		add("channel = $", string(f.Channel))
	}
	if f.TeamID != 0 {
		add("team_id = $", max(f.TeamID, 0))
	}
	if f.Category != "" {
		add("category = $", f.Category)
	}
	if f.AssigneeID != 0 {
		add(agent+" = $", max(f.AssigneeID, 0))
	}
	q := `SELECT ` + tcol + ` AS t, channel, team_id, category, ` + agent + ` AS assignee_id, ` +
		countsOf(f, seg.Sub, subs) + ` FROM ` + table
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return q, args
}

// countsOf is the counter columns a segment reads: negated when its rows
// are subtracted; without the histograms' text when the caller asked for
// counts only. When the plan subtracts (subs), a last column says whether
// the row's histograms are to be subtracted, which the driver does.
func countsOf(f desk.StatsFilter, sub, subs bool) string {
	counts := `created, resolved, first_replied, fcr, bot_resolved, handed_over, sla_breached, sla_met`
	if sub {
		counts = `-created AS created, -resolved AS resolved, -first_replied AS first_replied, -fcr AS fcr,
			-bot_resolved AS bot_resolved, -handed_over AS handed_over, -sla_breached AS sla_breached,
			-sla_met AS sla_met`
	}
	hists := `first_response, resolution`
	if f.CountsOnly {
		hists = `''::text AS first_response, ''::text AS resolution`
	}
	if subs {
		hists += fmt.Sprintf(", %t AS sub", sub)
	}
	return counts + ", " + hists
}

// statsQuery is the SQL of StatsRows: the segments of f's plan, summed by
// the database, or, when merge is set, their rows as they are, for the
// driver to sum. A year of the dashboard is some 15,000 cube rows: summing
// their histograms' text in SQL (sorted on disk past work_mem, then
// concatenated) cost more than sending the rows.
func statsQuery(f desk.StatsFilter, by []desk.StatsDim) (query string, args []any, merge bool, err error) {
	plan, err := rollup.Plan(f, by)
	if err != nil {
		return "", nil, false, err
	}
	var cols []string
	for _, d := range by {
		cols = append(cols, statsDimCols[d])
	}
	// Each segment's rows start inside its bounds exactly when their
	// conversations were created inside them, as long as the bounds are
	// whole hours; the report asks for whole hours (days in the company's
	// zone) and Plan cuts at whole days and months.
	subs := rollup.Subtracts(plan)
	var parts []string
	for _, seg := range plan {
		var q string
		q, args = segmentSQL(seg, f, subs, args)
		parts = append(parts, q)
	}
	if rollup.Direct(plan, f, by) {
		return `SELECT ` + strings.Join(cols, ", ") + `, created::bigint, resolved::bigint, first_replied::bigint,
			fcr::bigint, bot_resolved::bigint, handed_over::bigint, sla_breached::bigint, sla_met::bigint,
			first_response, resolution FROM (` + parts[0] + `) AS u ORDER BY ` + strings.Join(cols, ", "), args, false, nil
	}
	// A plan that subtracts is never wide (it reads cubes), and only the
	// driver subtracts histograms.
	if !rollup.Wide(plan) || subs {
		sub := ", false"
		if subs {
			sub = ", sub"
		}
		return `SELECT t, channel, team_id, category, assignee_id::bigint, created::bigint, resolved::bigint,
			first_replied::bigint, fcr::bigint, bot_resolved::bigint, handed_over::bigint, sla_breached::bigint,
			sla_met::bigint, first_response, resolution` + sub + ` FROM (` + strings.Join(parts, " UNION ALL ") +
			`) AS u`, args, true, nil
	}
	sel, group, order := "", "", ""
	if len(cols) > 0 {
		sel = strings.Join(cols, ", ") + ", "
		group = " GROUP BY " + strings.Join(cols, ", ")
		order = " ORDER BY " + strings.Join(cols, ", ")
	}
	hists := `COALESCE(string_agg(NULLIF(first_response, ''), ' '), ''),
		COALESCE(string_agg(NULLIF(resolution, ''), ' '), '')`
	if f.CountsOnly {
		hists = `''::text, ''::text`
	}
	query = `SELECT ` + sel + `SUM(created)::bigint, SUM(resolved)::bigint, SUM(first_replied)::bigint,
		SUM(fcr)::bigint, SUM(bot_resolved)::bigint, SUM(handed_over)::bigint, SUM(sla_breached)::bigint,
		SUM(sla_met)::bigint, ` + hists + `
		FROM (` + strings.Join(parts, " UNION ALL ") + `) AS u` + group + ` HAVING COUNT(*) > 0` + order
	return query, args, false, nil
}

func (s *Store) StatsRows(ctx context.Context, f desk.StatsFilter, by ...desk.StatsDim) ([]desk.StatsRow, error) {
	query, args, merge, err := statsQuery(f, by)
	if err != nil {
		return nil, fmt.Errorf("postgres: stats rows: %w", err)
	}
	// Planned for its own bounds each time, not prepared once: after five
	// runs of a prepared statement PostgreSQL may switch to a generic plan,
	// which, not knowing the period, read a year of hours at 200 ms instead
	// of 30 (docs/benchmarks.md, "Reports"). Parameter types then come from
	// the Go values, which match the columns.
	args = append([]any{pgx.QueryExecModeExec}, args...)
	rows, err := s.q.Query(ctx, query, args...)
	if err != nil {
		return nil, wrap("stats rows", err)
	}
	defer rows.Close()
	var out []desk.StatsRow
	if merge {
		out, err = mergeStats(rows, by)
	} else {
		out, err = scanStats(rows, by, rollup.SizeHint(f, by))
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: stats rows: %w", err)
	}
	return out, nil
}

// scanStats reads rows of (the dimensions of by, counters, histograms),
// one result row each.
func scanStats(rows pgx.Rows, by []desk.StatsDim, hint int) ([]desk.StatsRow, error) {
	out := make([]desk.StatsRow, 0, hint)
	var (
		r       desk.StatsRow
		channel string
		fr, res string
	)
	dest := make([]any, 0, len(by)+10)
	for _, d := range by {
		switch d {
		case desk.DimHour:
			dest = append(dest, &r.Hour)
		case desk.DimChannel:
			dest = append(dest, &channel)
		case desk.DimTeam:
			dest = append(dest, &r.TeamID)
		case desk.DimCategory:
			dest = append(dest, &r.Category)
		case desk.DimAgent:
			dest = append(dest, &r.AssigneeID)
		}
	}
	dest = append(dest, &r.Created, &r.Resolved, &r.FirstReplied, &r.FCR, &r.BotResolved, &r.HandedOver,
		&r.SLABreached, &r.SLAMet, &fr, &res)
	for rows.Next() {
		r = desk.StatsRow{}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		r.Channel = desk.ChannelKind(channel)
		if !r.Hour.IsZero() {
			r.Hour = r.Hour.UTC()
		}
		if err := r.FirstResponse.AddText(fr); err != nil {
			return nil, err
		}
		if err := r.Resolution.AddText(res); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// mergeStats sums rows of (time, channel, team, category, assignee,
// counters, histograms, whether to subtract the histograms) by the
// dimensions of by, ordered by them as SQL would (strings bytewise). The
// counters of rows to subtract come negated.
func mergeStats(rows pgx.Rows, by []desk.StatsDim) ([]desk.StatsRow, error) {
	var (
		k       desk.StatsKey
		channel string
		c       desk.StatsCounts
		fr, res string
		sub     bool
	)
	dest := []any{&k.Hour, &channel, &k.TeamID, &k.Category, &k.AssigneeID, &c.Created, &c.Resolved,
		&c.FirstReplied, &c.FCR, &c.BotResolved, &c.HandedOver, &c.SLABreached, &c.SLAMet, &fr, &res, &sub}
	idx := map[desk.StatsKey]int{}
	var out []desk.StatsRow
	// The histograms to take away, per output row: summed apart and
	// subtracted at the end, so each row's text is decoded once.
	subs := map[int]*desk.StatsCounts{}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		k.Channel = desk.ChannelKind(channel)
		key := keyBy(k, by)
		j, ok := idx[key]
		if !ok {
			j = len(out)
			idx[key] = j
			out = append(out, desk.StatsRow{StatsKey: key})
		}
		o := &out[j]
		o.Created += c.Created
		o.Resolved += c.Resolved
		o.FirstReplied += c.FirstReplied
		o.FCR += c.FCR
		o.BotResolved += c.BotResolved
		o.HandedOver += c.HandedOver
		o.SLABreached += c.SLABreached
		o.SLAMet += c.SLAMet
		// Straight into the sums: decoding each row's histogram first
		// would double the work.
		h := &o.StatsCounts
		if sub {
			if subs[j] == nil {
				subs[j] = &desk.StatsCounts{}
			}
			h = subs[j]
		}
		if err := h.FirstResponse.AddText(fr); err != nil {
			return nil, err
		}
		if err := h.Resolution.AddText(res); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(subs) > 0 {
		for j, h := range subs {
			out[j].Sub(h)
		}
		// Every conversation counts in Created: a group whose rows were
		// all subtracted again (there in the month, not in the period)
		// has none.
		out = slices.DeleteFunc(out, func(r desk.StatsRow) bool { return r.Created == 0 })
	}
	slices.SortFunc(out, func(a, b desk.StatsRow) int { return compareBy(&a.StatsKey, &b.StatsKey, by) })
	return out, nil
}

// keyBy keeps of k the dimensions of by.
func keyBy(k desk.StatsKey, by []desk.StatsDim) desk.StatsKey {
	var out desk.StatsKey
	for _, d := range by {
		switch d {
		case desk.DimHour:
			out.Hour = k.Hour.UTC()
		case desk.DimChannel:
			out.Channel = k.Channel
		case desk.DimTeam:
			out.TeamID = k.TeamID
		case desk.DimCategory:
			out.Category = k.Category
		case desk.DimAgent:
			out.AssigneeID = k.AssigneeID
		}
	}
	return out
}

// compareBy orders keys by the dimensions of by, in turn.
func compareBy(a, b *desk.StatsKey, by []desk.StatsDim) int {
	for _, d := range by {
		var c int
		switch d {
		case desk.DimHour:
			c = a.Hour.Compare(b.Hour)
		case desk.DimChannel:
			c = strings.Compare(string(a.Channel), string(b.Channel))
		case desk.DimTeam:
			c = cmp.Compare(a.TeamID, b.TeamID)
		case desk.DimCategory:
			c = strings.Compare(a.Category, b.Category)
		case desk.DimAgent:
			c = cmp.Compare(a.AssigneeID, b.AssigneeID)
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func (s *Store) ExportConversations(ctx context.Context, f desk.StatsFilter, fn func(desk.ConversationFact) error) error {
	where, args := statsWhere(f, "c.", "created_at", true)
	rows, err := s.q.Query(ctx, `SELECT `+factColumns+` FROM conversations c`+where+` ORDER BY c.created_at, c.id`, args...)
	if err != nil {
		return wrap("export conversations", err)
	}
	defer rows.Close()
	for rows.Next() {
		var fact desk.ConversationFact
		if err := scanFact(rows, &fact); err != nil {
			return wrap("export conversations", err)
		}
		if err := fn(fact); err != nil {
			return err
		}
	}
	return wrap("export conversations", rows.Err())
}
