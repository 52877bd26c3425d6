-- 0009: analytics rollups (desk/analytics.go). One row per UTC hour of
-- creation and (channel, team, category, assignee), 0 for no team or
-- assignee (these are counters, not references: a deleted team's history
-- stays). The histograms are desk.Histogram's sparse text ("bucket:count
-- ..."). RebuildStats replaces whole hours, so the rows are always a
-- function of the conversations.
CREATE TABLE conversation_stats (
	hour           timestamptz NOT NULL,
	channel        text NOT NULL,
	team_id        bigint NOT NULL,
	category       text NOT NULL,
	assignee_id    bigint NOT NULL,
	created        integer NOT NULL DEFAULT 0,
	resolved       integer NOT NULL DEFAULT 0,
	first_replied  integer NOT NULL DEFAULT 0,
	fcr            integer NOT NULL DEFAULT 0,
	bot_resolved   integer NOT NULL DEFAULT 0,
	handed_over    integer NOT NULL DEFAULT 0,
	sla_breached   integer NOT NULL DEFAULT 0,
	sla_met        integer NOT NULL DEFAULT 0,
	first_response text NOT NULL DEFAULT '',
	resolution     text NOT NULL DEFAULT '',
	PRIMARY KEY (hour, channel, team_id, category, assignee_id)
);

-- The rebuild finds the hours of conversations changed since its last run;
-- the export and the rebuild read conversations by creation time.
CREATE INDEX conversations_updated_idx ON conversations (updated_at);
CREATE INDEX conversations_created_idx ON conversations (created_at, id);

-- Cubes (store/rollup): the same counters summed over fewer dimensions, so
-- that a year of reports reads thousands of rows, not a million. The hourly
-- cubes of a few dimensions feed the hour charts and are read with those
-- dimensions fixed, hence keyed by them first; the day and month cubes are
-- read grouped, hence keyed by period first. Dimensions a cube does not
-- keep are '' and 0. Both are rebuilt from conversation_stats in the same
-- transaction as it.
CREATE TABLE conversation_stats_hour (
	cube           smallint NOT NULL,
	channel        text NOT NULL,
	team_id        bigint NOT NULL,
	category       text NOT NULL,
	hour           timestamptz NOT NULL,
	created        integer NOT NULL DEFAULT 0,
	resolved       integer NOT NULL DEFAULT 0,
	first_replied  integer NOT NULL DEFAULT 0,
	fcr            integer NOT NULL DEFAULT 0,
	bot_resolved   integer NOT NULL DEFAULT 0,
	handed_over    integer NOT NULL DEFAULT 0,
	sla_breached   integer NOT NULL DEFAULT 0,
	sla_met        integer NOT NULL DEFAULT 0,
	first_response text NOT NULL DEFAULT '',
	resolution     text NOT NULL DEFAULT '',
	PRIMARY KEY (cube, channel, team_id, category, hour)
);
-- The rebuild replaces whole days.
CREATE INDEX conversation_stats_hour_hour_idx ON conversation_stats_hour (hour);

CREATE TABLE conversation_stats_period (
	cube           smallint NOT NULL,
	period         timestamptz NOT NULL,
	channel        text NOT NULL,
	team_id        bigint NOT NULL,
	category       text NOT NULL,
	assignee_id    bigint NOT NULL,
	created        integer NOT NULL DEFAULT 0,
	resolved       integer NOT NULL DEFAULT 0,
	first_replied  integer NOT NULL DEFAULT 0,
	fcr            integer NOT NULL DEFAULT 0,
	bot_resolved   integer NOT NULL DEFAULT 0,
	handed_over    integer NOT NULL DEFAULT 0,
	sla_breached   integer NOT NULL DEFAULT 0,
	sla_met        integer NOT NULL DEFAULT 0,
	first_response text NOT NULL DEFAULT '',
	resolution     text NOT NULL DEFAULT '',
	PRIMARY KEY (cube, period, channel, team_id, category, assignee_id)
);
