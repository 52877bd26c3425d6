package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/balie-dev/balie/internal/analytics/report"
	"github.com/balie-dev/balie/internal/desk"
)

// The supervisor dashboard (/app/reports) and the staffing forecast
// (/app/reports/staffing). Charts are SVG drawn on the server from
// geometry computed here, so the pages need no script and pass the strict
// CSP (colours are SVG attributes and classes, never inline styles).

func (h *Handler) reportRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /app/reports", h.adminOnly(h.reportsPage))
	mux.HandleFunc("GET /app/reports/conversations.csv", h.adminOnly(h.reportsCSV))
	mux.HandleFunc("GET /app/reports/staffing", h.adminOnly(h.staffingPage))
}

type reportStore interface {
	report.Store
	report.Exporter
}

func (h *Handler) reportStore(q *req) (reportStore, bool) {
	st, ok := h.d.Store.(reportStore)
	if !ok {
		h.errorPage(q.w, q.r, q.locale, q, http.StatusNotFound)
	}
	return st, ok
}

// bar is one bar of a chart, in the SVG's user units.
type bar struct {
	X, Y, W, H float64
	Label      string // the x-axis label under it ("" none)
	Title      string // what a screen reader and the tooltip say
}

// heatCell is one cell of the weekday × hour heatmap, at X, Y.
type heatCell struct {
	X, Y    int
	Level   int     // 0..5, the colour step
	Opacity float64 // fill-opacity of that step
	Title   string
}

type reportsData struct {
	Q        report.Query
	R        *report.Report
	Period   int // the preset chosen, 0 for from–to
	Periods  []int
	From, To string // the form's dates
	Channels []desk.ChannelKind
	Teams    []desk.Team
	Category string
	CSV      string // link to the export with the same filter
	API      string
	Bars     []bar
	ChartW   float64
	MaxDay   int64
	Heat     []heatCell
	Labels   []label // the heatmap's hour and weekday labels
	// HeatRows is the heatmap as a table, for screen readers and copying.
	HeatRows []heatRow
}

// label is a text at X, Y in an SVG.
type label struct {
	X, Y int
	Text string
}

type heatRow struct {
	Day    string
	Counts [24]int64
}

// heatmap geometry: cells of heatSize with a gap of 1.
const heatSize = 20

const chartH = 160.0

func (h *Handler) reportsPage(q *req) {
	st, ok := h.reportStore(q)
	if !ok {
		return
	}
	v := q.r.URL.Query()
	rq, err := report.ParseQuery(v, h.d.Clock.Now(), h.loc)
	if err != nil {
		h.fail(q, err)
		return
	}
	ctx := q.r.Context()
	rep, err := report.Build(ctx, st, rq)
	if err != nil {
		h.fail(q, err)
		return
	}
	teams, err := st.ListTeams(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	d := reportsData{Q: rq, R: rep, Periods: report.Periods, Teams: teams, Category: rq.Category,
		From: rq.From.Format(time.DateOnly), To: rq.To.AddDate(0, 0, -1).Format(time.DateOnly),
		Channels: []desk.ChannelKind{desk.ChannelWebChat, desk.ChannelEmail, desk.ChannelWhatsApp, desk.ChannelMessenger,
			desk.ChannelInstagram, desk.ChannelTelegram, desk.ChannelPhone, desk.ChannelAPI},
	}
	if n, err := strconv.Atoi(v.Get("period")); err == nil && v.Get("from") == "" {
		d.Period = n
	} else if v.Get("from") == "" {
		d.Period = 30
	}
	query := rq.Values().Encode()
	d.CSV = "/app/reports/conversations.csv?" + query
	d.API = "/api/v1/reports/summary?" + query

	cat := h.cats[q.locale]
	for _, day := range rep.Days {
		d.MaxDay = max(d.MaxDay, day.Created)
	}
	n := len(rep.Days)
	slot := 12.0
	if n > 60 {
		slot = 4
	}
	d.ChartW = slot * float64(max(n, 1))
	every := max(1, n/8) // about eight date labels
	for i, day := range rep.Days {
		hgt := 0.0
		if d.MaxDay > 0 {
			hgt = chartH * float64(day.Created) / float64(d.MaxDay)
		}
		b := bar{X: float64(i) * slot, Y: chartH - hgt, W: slot * 0.8, H: hgt,
			Title: cat.T("reports.bar_title", day.Date.Format("02-01-2006"), day.Created)}
		if i%every == 0 {
			b.Label = day.Date.Format("02-01")
		}
		d.Bars = append(d.Bars, b)
	}
	days := []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	for hr := 0; hr < 24; hr += 3 {
		d.Labels = append(d.Labels, label{X: hr * heatSize, Y: -4, Text: fmt.Sprintf("%02d", hr)})
	}
	for wd := range 7 {
		name := cat.T("reports.day." + days[wd])
		d.Labels = append(d.Labels, label{X: -36, Y: wd*heatSize + 14, Text: name})
		d.HeatRows = append(d.HeatRows, heatRow{Day: name, Counts: rep.Heatmap[wd]})
		for hr := range 24 {
			c := rep.Heatmap[wd][hr]
			lvl := 0
			if c > 0 && rep.HeatMax > 0 {
				lvl = 1 + int(4*float64(c)/float64(rep.HeatMax)+0.0001)
				lvl = min(lvl, 5)
			}
			d.Heat = append(d.Heat, heatCell{X: hr * heatSize, Y: wd * heatSize, Level: lvl, Opacity: 0.08 + 0.184*float64(lvl),
				Title: cat.T("reports.heat_title", cat.T("reports.day."+days[wd]), fmt.Sprintf("%02d:00", hr), c)})
		}
	}
	h.render(q.w, q, http.StatusOK, "reports", "reports", d)
}

func (h *Handler) reportsCSV(q *req) {
	st, ok := h.reportStore(q)
	if !ok {
		return
	}
	rq, err := report.ParseQuery(q.r.URL.Query(), h.d.Clock.Now(), h.loc)
	if err != nil {
		h.fail(q, err)
		return
	}
	hd := q.w.Header()
	hd.Set("Content-Type", "text/csv; charset=utf-8")
	hd.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="conversations-%s.csv"`, rq.From.Format("20060102")))
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	if err := report.WriteCSV(q.r.Context(), q.w, st, rq); err != nil {
		// The header is out; the file ends short.
		h.log.Error("web: reports csv", "err", err)
	}
}

type staffingData struct {
	S            *report.Staffing
	Channel      desk.ChannelKind
	Channels     []desk.ChannelKind
	Teams        []desk.Team
	TeamID       int64
	Target       int // seconds
	Level        int // percent
	Concurrency  int
	Shrinkage    int // percent
	AHT          int // seconds, as used
	AHTMeasured  bool
	ServiceLevel int // percent achieved by the schedule
	Bars         []bar
	Line         string // polyline points of the schedule
	ChartW       float64
	Scale        int
	Days         []staffingDay
	API          string
}

// staffingDay sums one forecast day for the table.
type staffingDay struct {
	Date                  time.Time
	Contacts              float64
	PeakNeeded, PeakSched int
	ShortHours            int
}

func (h *Handler) staffingPage(q *req) {
	st, ok := h.reportStore(q)
	if !ok {
		return
	}
	sq, err := report.ParseStaffing(q.r.URL.Query(), h.d.Clock.Now(), h.loc)
	if err != nil {
		h.fail(q, err)
		return
	}
	ctx := q.r.Context()
	s, err := report.BuildStaffing(ctx, st, sq)
	if err != nil {
		h.fail(q, err)
		return
	}
	teams, err := st.ListTeams(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	p := s.Params
	d := staffingData{S: s, Channel: sq.Channel, Teams: teams, TeamID: sq.TeamID,
		Channels: []desk.ChannelKind{desk.ChannelWebChat, desk.ChannelWhatsApp, desk.ChannelMessenger, desk.ChannelInstagram,
			desk.ChannelTelegram, desk.ChannelPhone, desk.ChannelEmail, desk.ChannelAPI},
		Target: int(p.TargetAnswer / time.Second), Level: int(p.ServiceLevel*100 + 0.5), Concurrency: p.Concurrency,
		Shrinkage: int(p.Shrinkage*100 + 0.5), AHT: int(p.AHT / time.Second), AHTMeasured: s.AHTMeasured,
		ServiceLevel: int(s.Coverage.ServiceLevel*100 + 0.5)}
	d.API = "/api/v1/reports/staffing?" + q.r.URL.RawQuery
	cat := h.cats[q.locale]
	d.Scale = max(1, s.PeakNeeded, s.PeakScheduled)
	const slot = 6.0
	d.ChartW = slot * float64(max(1, len(s.Coverage.Hours)))
	var line []byte
	for i, hc := range s.Coverage.Hours {
		lt := hc.Start.In(h.loc)
		hgt := chartH * float64(hc.Needed.Agents) / float64(d.Scale)
		b := bar{X: float64(i) * slot, Y: chartH - hgt, W: slot - 1, H: hgt,
			Title: cat.T("reports.staff_title", lt.Format("02-01 15:00"), fmt.Sprintf("%.1f", hc.Contacts),
				hc.Needed.Agents, hc.Scheduled)}
		if lt.Hour() == 0 {
			b.Label = cat.T("reports.day."+[]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}[lt.Weekday()]) +
				" " + lt.Format("02-01")
		}
		d.Bars = append(d.Bars, b)
		y := chartH - chartH*float64(hc.Scheduled)/float64(d.Scale)
		line = fmt.Appendf(line, "%.1f,%.1f %.1f,%.1f ", float64(i)*slot, y, float64(i+1)*slot, y)
		day := lt.Format(time.DateOnly)
		if len(d.Days) == 0 || d.Days[len(d.Days)-1].Date.Format(time.DateOnly) != day {
			d.Days = append(d.Days, staffingDay{Date: time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, h.loc)})
		}
		sd := &d.Days[len(d.Days)-1]
		sd.Contacts += hc.Contacts
		sd.PeakNeeded = max(sd.PeakNeeded, hc.Needed.Agents)
		sd.PeakSched = max(sd.PeakSched, hc.Scheduled)
		if hc.Gap < 0 {
			sd.ShortHours++
		}
	}
	d.Line = string(line)
	h.render(q.w, q, http.StatusOK, "staffing", "reports", d)
}

// shortDuration shows a response or resolution time in its largest units:
// "45s", "12m", "3h 20m", "2d 4h"; zero (no data) is "–".
func shortDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()+0.5))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()+0.5))
	case d < 24*time.Hour:
		m := int(d.Minutes() + 0.5)
		return fmt.Sprintf("%dh %02dm", m/60, m%60)
	}
	h := int(d.Hours() + 0.5)
	return fmt.Sprintf("%dd %dh", h/24, h%24)
}
