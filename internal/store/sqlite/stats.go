package sqlite

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/store/rollup"
)

// Analytics rollups (desk.AnalyticsStore). The metrics are counted in Go by
// desk.Rollup, so both drivers agree on their definitions; SQL only finds
// the hours, reads the facts and sums the rows.

const hourMS = int64(time.Hour / time.Millisecond)

const factCols = `id, channel, team_id, category, assignee_id, status, priority, reopens, sla_policy_id, sla_state,
	created_at, first_reply_at, handed_over_at, resolved_at`

func scanFact(sc interface{ Scan(...any) error }, f *desk.ConversationFact) error {
	var created, replied, handed, resolved int64
	if err := sc.Scan(&f.ID, &f.Channel, &f.TeamID, &f.Category, &f.AssigneeID, &f.Status, &f.Priority, &f.Reopens,
		&f.SLAPolicyID, &f.SLAState, &created, &replied, &handed, &resolved); err != nil {
		return err
	}
	f.CreatedAt, f.FirstReplyAt, f.HandedOverAt, f.ResolvedAt = fromMS(created), fromMS(replied), fromMS(handed), fromMS(resolved)
	return nil
}

func (o ops) RebuildStats(ctx context.Context, since time.Time) (int, error) {
	hours, err := o.staleHours(ctx, since)
	if err != nil {
		return 0, err
	}
	for _, batch := range rollup.Batches(fromMSAll(hours)) {
		err := o.write(ctx, func(q *txQuerier) error {
			if err := rebuildHours(ctx, q, msAll(batch)); err != nil {
				return err
			}
			return rebuildCubes(ctx, q, rollup.DaysOf(batch))
		})
		if err != nil {
			return 0, wrap("rebuild stats", err)
		}
	}
	return len(hours), nil
}

func fromMSAll(v []int64) []time.Time {
	out := make([]time.Time, len(v))
	for i, x := range v {
		out[i] = time.UnixMilli(x).UTC()
	}
	return out
}

func msAll(v []time.Time) []int64 {
	out := make([]int64, len(v))
	for i, t := range v {
		out[i] = t.UnixMilli()
	}
	return out
}

// staleHours lists, in order, the hours to recompute: those of conversations
// updated since; for a full rebuild also the hours that have rows, so rows
// of conversations that are gone go too.
func (o ops) staleHours(ctx context.Context, since time.Time) ([]int64, error) {
	query := `SELECT DISTINCT created_at - created_at % ?1 FROM conversations WHERE updated_at >= ?2`
	if since.IsZero() {
		query = `SELECT created_at - created_at % ?1 AS h FROM conversations WHERE updated_at >= ?2
			UNION SELECT hour FROM conversation_stats ORDER BY 1`
	}
	rows, err := o.read.QueryContext(ctx, query, hourMS, ms(since))
	if err != nil {
		return nil, wrap("rebuild stats: hours", err)
	}
	defer rows.Close()
	var hours []int64
	for rows.Next() {
		var h int64
		if err := rows.Scan(&h); err != nil {
			return nil, wrap("rebuild stats: hours", err)
		}
		hours = append(hours, h)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("rebuild stats: hours", err)
	}
	slices.Sort(hours)
	return hours, nil
}

// rebuildHours replaces the rows of the given hours with a fresh count, in
// the caller's transaction.
func rebuildHours(ctx context.Context, q *txQuerier, hours []int64) error {
	for _, h := range hours {
		if _, err := q.ExecContext(ctx, `DELETE FROM conversation_stats WHERE hour = ?`, h); err != nil {
			return err
		}
		// Erased conversations count on, anonymously, from their facts.
		facts, err := readFacts(ctx, q, `SELECT `+factCols+` FROM conversations
			WHERE created_at >= ?1 AND created_at < ?2
			UNION ALL SELECT `+factCols+` FROM erased_facts WHERE created_at >= ?1 AND created_at < ?2`, h, h+hourMS)
		if err != nil {
			return err
		}
		rs := desk.Rollup(facts)
		rows := make([]rollup.Row, len(rs))
		for i, r := range rs {
			rows[i] = rollup.Row{Period: r.Hour, StatsRow: r}
		}
		if err := insertCube(ctx, q, rollup.BaseCube(), rows); err != nil {
			return err
		}
	}
	return nil
}

func readFacts(ctx context.Context, q querier, query string, args ...any) ([]desk.ConversationFact, error) {
	rows, err := q.QueryContext(ctx, query, args...)
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

// statsWhere turns a filter into WHERE terms on columns named as in both
// conversation_stats and conversations; created is the time column.
func statsWhere(f desk.StatsFilter, created string) (string, []any) {
	var where []string
	var args []any
	add := func(term string, arg any) { where, args = append(where, term), append(args, arg) }
	if !f.From.IsZero() {
		add(created+" >= ?", ms(f.From))
	}
	if !f.To.IsZero() {
		add(created+" < ?", ms(f.To))
	}
	if f.Channel != "" {
		add("channel = ?", f.Channel)
	}
	if f.TeamID != 0 {
		add("team_id = ?", max(f.TeamID, 0))
	}
	if f.Category != "" {
		add("category = ?", f.Category)
	}
	if f.AssigneeID != 0 {
		add("assignee_id = ?", max(f.AssigneeID, 0))
	}
	if len(where) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

const countCols = `created, resolved, first_replied, fcr, bot_resolved, handed_over, sla_breached, sla_met,
	first_response, resolution`

// rebuildCubes recomputes, from conversation_stats, the hourly and day cube
// rows of the given UTC days and the month cube rows of their months, in
// the caller's transaction.
func rebuildCubes(ctx context.Context, q *txQuerier, days []time.Time) error {
	dayIDs, monthIDs := idList(rollup.DayCubes()), idList(rollup.MonthCubes())
	for _, d := range days {
		from, to := d.UnixMilli(), rollup.Next(d, rollup.Day).UnixMilli()
		rows, err := readCounts(ctx, q, `SELECT hour, channel, team_id, category, assignee_id, `+countCols+`
			FROM conversation_stats WHERE hour >= ? AND hour < ?`, from, to)
		if err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM conversation_stats_hour WHERE hour >= ? AND hour < ?`, from, to); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM conversation_stats_period WHERE cube IN (`+dayIDs+`) AND period = ?`,
			from); err != nil {
			return err
		}
		for _, c := range append(rollup.HourCubes(), rollup.DayCubes()...) {
			if err := insertCube(ctx, q, c, rollup.Project(rows, rollup.HourOf, c)); err != nil {
				return err
			}
		}
	}
	for _, m := range rollup.MonthsOf(days) {
		from, to := m.UnixMilli(), rollup.Next(m, rollup.Month).UnixMilli()
		if _, err := q.ExecContext(ctx, `DELETE FROM conversation_stats_period WHERE cube IN (`+monthIDs+`) AND period = ?`,
			from); err != nil {
			return err
		}
		for _, c := range rollup.DayCubes() {
			rows, err := readCounts(ctx, q, `SELECT period, channel, team_id, category, assignee_id, `+countCols+`
				FROM conversation_stats_period WHERE cube = ? AND period >= ? AND period < ?`, c.ID, from, to)
			if err != nil {
				return err
			}
			if err := insertCube(ctx, q, rollup.MonthOf(c), rollup.Project(rows, rollup.HourOf, rollup.MonthOf(c))); err != nil {
				return err
			}
		}
	}
	return nil
}

func idList(cubes []rollup.Cube) string {
	ids := rollup.IDs(cubes)
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(id)
	}
	return strings.Join(parts, ", ")
}

// readCounts reads rows of (time, channel, team, category, assignee,
// counts...), the time into Hour.
func readCounts(ctx context.Context, q querier, query string, args ...any) ([]desk.StatsRow, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []desk.StatsRow
	for rows.Next() {
		var r desk.StatsRow
		var t int64
		var fr, res string
		if err := rows.Scan(&t, &r.Channel, &r.TeamID, &r.Category, &r.AssigneeID, &r.Created, &r.Resolved,
			&r.FirstReplied, &r.FCR, &r.BotResolved, &r.HandedOver, &r.SLABreached, &r.SLAMet, &fr, &res); err != nil {
			return nil, err
		}
		r.Hour = time.UnixMilli(t).UTC()
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

// insertBatch is how many rows one INSERT statement carries: far fewer
// statements to run, well under SQLite's limit of bound parameters.
const insertBatch = 64

// insertCube writes rows of cube c, many to a statement.
func insertCube(ctx context.Context, q *txQuerier, c rollup.Cube, rows []rollup.Row) error {
	head, tuple := `INSERT INTO conversation_stats_period(cube, period, channel, team_id, category, assignee_id, `+
		countCols+`) VALUES `, "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
	switch c.Table {
	case rollup.Hours:
		head, tuple = `INSERT INTO conversation_stats_hour(cube, hour, channel, team_id, category, `+countCols+`) VALUES `,
			"(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
	case rollup.Base:
		head, tuple = `INSERT INTO conversation_stats(hour, channel, team_id, category, assignee_id, `+countCols+`) VALUES `,
			"(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
	}
	// Full chunks share one statement and the rest go one by one, so the
	// writer's statement cache holds two statements per table, not one
	// per chunk length.
	full := len(rows) / insertBatch * insertBatch
	chunks := slices.Collect(slices.Chunk(rows[:full], insertBatch))
	for i := full; i < len(rows); i++ {
		chunks = append(chunks, rows[i:i+1])
	}
	for _, chunk := range chunks {
		args := make([]any, 0, len(chunk)*16)
		for _, r := range chunk {
			if c.Table != rollup.Base {
				args = append(args, r.Cube)
			}
			args = append(args, r.Period.UnixMilli(), r.Channel, r.TeamID, r.Category)
			if c.Table != rollup.Hours {
				args = append(args, r.AssigneeID)
			}
			args = append(args, r.Created, r.Resolved, r.FirstReplied, r.FCR, r.BotResolved, r.HandedOver,
				r.SLABreached, r.SLAMet, r.FirstResponse.String(), r.Resolution.String())
		}
		query := head + strings.Repeat(tuple+",", len(chunk)-1) + tuple
		if _, err := q.ExecContext(ctx, query, args...); err != nil {
			return err
		}
	}
	return nil
}

var statsDimCols = map[desk.StatsDim]string{
	desk.DimHour: "t", desk.DimChannel: "channel", desk.DimTeam: "team_id",
	desk.DimCategory: "category", desk.DimAgent: "assignee_id",
}

// segmentSQL selects the rows of one plan segment, with the time as t; see
// countsOf for subs.
func segmentSQL(seg rollup.Segment, f desk.StatsFilter, subs bool) (string, []any) {
	table, tcol := "conversation_stats", "hour"
	switch seg.Cube.Table {
	case rollup.Hours:
		table = "conversation_stats_hour"
	case rollup.Periods:
		table, tcol = "conversation_stats_period", "period"
	}
	agent := "assignee_id"
	if seg.Cube.Table == rollup.Hours {
		agent = "0"
	}
	sf := f
	sf.From, sf.To = seg.From, seg.To
	where, args := statsWhere(sf, tcol)
	if seg.Cube.Table != rollup.Base {
		// The cube first; and on the hourly cubes, the dimensions they
		// drop as their constants, so the key is used all the way to the
		// hour.
		terms := []string{"cube = ?"}
		cargs := []any{seg.Cube.ID}
		if seg.Cube.Table == rollup.Hours {
			if !seg.Cube.Dims.Has(rollup.Channel) {
				terms = append(terms, "channel = ''")
			}
			if !seg.Cube.Dims.Has(rollup.Team) {
				terms = append(terms, "team_id = 0")
			}
			if !seg.Cube.Dims.Has(rollup.Category) {
				terms = append(terms, "category = ''")
			}
		}
		cond := strings.Join(terms, " AND ")
		if where == "" {
			where = " WHERE " + cond
		} else {
			where = " WHERE " + cond + " AND " + strings.TrimPrefix(where, " WHERE ")
		}
		args = append(cargs, args...)
	}
	return `SELECT ` + tcol + ` AS t, channel, team_id, category, ` + agent + ` AS assignee_id, ` +
		countsOf(f, seg.Sub, subs) + ` FROM ` + table + where, args
}

// countsOf is the counter columns a segment reads: negated when its rows
// are subtracted; without the histograms' text when the caller asked for
// counts only. When the plan subtracts (subs), the histograms of the rows
// to take away come in two more columns, for the driver to subtract.
func countsOf(f desk.StatsFilter, sub, subs bool) string {
	counts := `created, resolved, first_replied, fcr, bot_resolved, handed_over, sla_breached, sla_met`
	if sub {
		counts = `-created AS created, -resolved AS resolved, -first_replied AS first_replied, -fcr AS fcr,
			-bot_resolved AS bot_resolved, -handed_over AS handed_over, -sla_breached AS sla_breached,
			-sla_met AS sla_met`
	}
	hists := `first_response, resolution`
	switch {
	case f.CountsOnly:
		hists = `'' AS first_response, '' AS resolution`
	case sub:
		hists = `'' AS first_response, '' AS resolution, first_response AS sub_first_response,
			resolution AS sub_resolution`
	case subs:
		hists += `, '' AS sub_first_response, '' AS sub_resolution`
	}
	return counts + ", " + hists
}

// statsQuery is the SQL of StatsRows: the segments of f's plan, summed;
// subs reports whether the query returns, after the histograms, those to
// subtract from them.
func statsQuery(f desk.StatsFilter, by []desk.StatsDim) (query string, args []any, subs bool, err error) {
	plan, err := rollup.Plan(f, by)
	if err != nil {
		return "", nil, false, err
	}
	subs = rollup.Subtracts(plan) && !f.CountsOnly
	var cols []string
	for _, d := range by {
		cols = append(cols, statsDimCols[d])
	}
	// Each segment's rows start inside its bounds exactly when their
	// conversations were created inside them, as long as the bounds are
	// whole hours; the report asks for whole hours (days in the company's
	// zone) and Plan cuts at whole days and months.
	var parts []string
	for _, seg := range plan {
		q, a := segmentSQL(seg, f, subs)
		parts, args = append(parts, q), append(args, a...)
	}
	sel, group, order := "", "", ""
	if len(cols) > 0 {
		sel = strings.Join(cols, ", ") + ", "
		group = " GROUP BY " + strings.Join(cols, ", ")
		order = " ORDER BY " + strings.Join(cols, ", ")
	}
	hists := `COALESCE(group_concat(NULLIF(first_response, ''), ' '), ''),
		COALESCE(group_concat(NULLIF(resolution, ''), ' '), '')`
	if f.CountsOnly {
		hists = `'', ''`
	}
	if subs {
		hists += `, COALESCE(group_concat(NULLIF(sub_first_response, ''), ' '), ''),
			COALESCE(group_concat(NULLIF(sub_resolution, ''), ' '), '')`
	}
	// Every conversation counts in created: a group whose rows were all
	// subtracted again (there in the month, not in the period) has none.
	query = `SELECT ` + sel + `SUM(created), SUM(resolved), SUM(first_replied), SUM(fcr),
		SUM(bot_resolved), SUM(handed_over), SUM(sla_breached), SUM(sla_met), ` + hists + `
		FROM (` + strings.Join(parts, " UNION ALL ") + `)` + group + ` HAVING SUM(created) <> 0` + order
	if rollup.Direct(plan, f, by) {
		query = `SELECT ` + sel + countCols + ` FROM (` + parts[0] + `)` + order
	}
	return query, args, subs, nil
}

func (o ops) StatsRows(ctx context.Context, f desk.StatsFilter, by ...desk.StatsDim) ([]desk.StatsRow, error) {
	query, args, subs, err := statsQuery(f, by)
	if err != nil {
		return nil, fmt.Errorf("sqlite: stats rows: %w", err)
	}
	rows, err := o.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap("stats rows", err)
	}
	defer rows.Close()
	out := make([]desk.StatsRow, 0, rollup.SizeHint(f, by))
	for rows.Next() {
		var r desk.StatsRow
		var hour int64
		var fr, res, subFR, subRes string
		dest := make([]any, 0, len(by)+12)
		for _, d := range by {
			switch d {
			case desk.DimHour:
				dest = append(dest, &hour)
			case desk.DimChannel:
				dest = append(dest, &r.Channel)
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
		if subs {
			dest = append(dest, &subFR, &subRes)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, wrap("stats rows", err)
		}
		if slices.Contains(by, desk.DimHour) {
			r.Hour = time.UnixMilli(hour).UTC()
		}
		if err := r.FirstResponse.AddText(fr); err != nil {
			return nil, fmt.Errorf("sqlite: stats rows: %w", err)
		}
		if err := r.Resolution.AddText(res); err != nil {
			return nil, fmt.Errorf("sqlite: stats rows: %w", err)
		}
		if subFR != "" || subRes != "" {
			var sub desk.StatsCounts
			if err := sub.FirstResponse.AddText(subFR); err != nil {
				return nil, fmt.Errorf("sqlite: stats rows: %w", err)
			}
			if err := sub.Resolution.AddText(subRes); err != nil {
				return nil, fmt.Errorf("sqlite: stats rows: %w", err)
			}
			r.Sub(&sub)
		}
		out = append(out, r)
	}
	return out, wrap("stats rows", rows.Err())
}

func (o ops) ExportConversations(ctx context.Context, f desk.StatsFilter, fn func(desk.ConversationFact) error) error {
	where, args := statsWhere(f, "created_at")
	rows, err := o.read.QueryContext(ctx, `SELECT `+factCols+` FROM conversations`+where+` ORDER BY created_at, id`, args...)
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
