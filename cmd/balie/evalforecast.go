package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/balie-dev/balie/internal/eval"
)

// cmdEvalForecast backtests the staffing forecast on synthetic Dutch web
// shop history (see eval.RunForecast) and prints MAPE and WAPE per channel
// and method, as a table or as JSON.
//
//	balie eval forecast [--weeks 12] [--seeds 201-210] [--channels chat,phone,email,whatsapp] [--json]
func cmdEvalForecast(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("eval forecast", flag.ContinueOnError)
	weeks := fs.Int("weeks", 12, "weeks of history; the last one is held back")
	seeds := fs.String("seeds", "201-210", "seeds of the synthetic history: a range A-B or a list A,B,C")
	channels := fs.String("channels", "chat,phone,email,whatsapp", "channels of the synthetic history")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if err := parse(fs, args); err != nil {
		return err
	}
	o := eval.ForecastOptions{Weeks: *weeks, Channels: strings.Split(*channels, ",")}
	var err error
	if o.Seeds, err = parseSeeds(*seeds); err != nil {
		return err
	}
	r, err := eval.RunForecast(o)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return r.WriteTable(stdout)
}

// parseSeeds reads "201-210" or "1,5,9".
func parseSeeds(s string) ([]uint64, error) {
	if a, b, ok := strings.Cut(s, "-"); ok {
		lo, err1 := strconv.ParseUint(a, 10, 64)
		hi, err2 := strconv.ParseUint(b, 10, 64)
		if err1 != nil || err2 != nil || hi < lo || hi-lo > 1000 {
			return nil, fmt.Errorf("eval forecast: --seeds %q: want A-B with A <= B, at most 1000 apart", s)
		}
		var out []uint64
		for v := lo; v <= hi; v++ {
			out = append(out, v)
		}
		return out, nil
	}
	var out []uint64
	for _, p := range strings.Split(s, ",") {
		v, err := strconv.ParseUint(strings.TrimSpace(p), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("eval forecast: --seeds %q: %w", s, err)
		}
		out = append(out, v)
	}
	return out, nil
}
