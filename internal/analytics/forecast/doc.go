// Package forecast predicts contact volume per hour and the number of agents
// needed to answer it: the staffing forecast of balie's analytics.
//
// It is pure: functions over slices and time values, no store, no clock, no
// I/O, so the caller can feed it from SQL aggregates, tests and the eval
// command alike. It may import the standard library and internal/desk (for
// the sentinel errors) only.
//
// # Time
//
// A Series counts contacts per real (absolute) hour, starting at Start, and
// carries the company's time zone in Loc. Seasonality is indexed by the local
// weekday and local clock hour of each hour, never by position: a week that
// contains a daylight-saving change has 167 or 169 hours in Europe/Amsterdam,
// and 09:00 on Monday must still be compared with 09:00 on Monday. In the
// autumn the repeated 02:00 hour is one more observation of the 02:00 slot;
// in spring the missing 02:00 hour simply has no forecast.
//
// # Forecast model
//
// The default method (Profile) is multiplicative: contacts in an hour =
// weekly level × hour-of-week index. The index is a recency-weighted mean of
// each past week's counts divided by that week's level; a damped straight
// line through the weekly levels projects them forward. Known holidays are left out of the fit and forecast with
// the Sunday profile. SeasonalNaive (same hour last week) and SeasonalMean
// (mean of the same hour over the last weeks) are the baselines it is
// measured against; see Backtest and the package tests for the numbers.
//
// # Staffing
//
// AgentsNeeded sizes a queue with Erlang C (M/M/N): arrivals are Poisson,
// handling times exponential, nobody abandons. It is meant for channels
// answered live (chat, messaging, phone). Chat concurrency k is modelled as
// N agents × k independent servers, with AHT the wall-clock time one chat
// occupies a slot (what balie measures from conversation timestamps, so the
// slowdown of juggling chats is already in it). Email and other deferred
// channels are better planned by workload: contacts × AHT / occupancy.
package forecast
