-- 0009: analytics rollups (desk/analytics.go). One row per UTC hour of
-- creation (milliseconds) and (channel, team, category, assignee), 0 for no
-- team or assignee. The histograms are desk.Histogram's sparse text
-- ("bucket:count ..."). RebuildStats replaces whole hours, so the rows are
-- always a function of the conversations.
CREATE TABLE conversation_stats (
    hour          INTEGER NOT NULL,
    channel       TEXT    NOT NULL,
    team_id       INTEGER NOT NULL,
    category      TEXT    NOT NULL,
    assignee_id   INTEGER NOT NULL,
    created       INTEGER NOT NULL DEFAULT 0,
    resolved      INTEGER NOT NULL DEFAULT 0,
    first_replied INTEGER NOT NULL DEFAULT 0,
    fcr           INTEGER NOT NULL DEFAULT 0,
    bot_resolved  INTEGER NOT NULL DEFAULT 0,
    handed_over   INTEGER NOT NULL DEFAULT 0,
    sla_breached  INTEGER NOT NULL DEFAULT 0,
    sla_met       INTEGER NOT NULL DEFAULT 0,
    first_response TEXT   NOT NULL DEFAULT '',
    resolution     TEXT   NOT NULL DEFAULT '',
    PRIMARY KEY (hour, channel, team_id, category, assignee_id)
) WITHOUT ROWID;

-- The rebuild finds the hours of conversations changed since its last run;
-- the export and the rebuild read conversations by creation time.
CREATE INDEX conversations_updated ON conversations(updated_at);
CREATE INDEX conversations_created ON conversations(created_at, id);

-- Cubes (store/rollup): the same counters summed over fewer dimensions, so
-- that a year of reports reads thousands of rows, not a million. The hourly
-- cubes of a few dimensions feed the hour charts and are read with those
-- dimensions fixed, hence keyed by them first; the day and month cubes are
-- read grouped, hence keyed by period first. Dimensions a cube does not
-- keep are '' and 0. Both are rebuilt from conversation_stats in the same
-- transaction as it.
CREATE TABLE conversation_stats_hour (
    cube          INTEGER NOT NULL,
    channel       TEXT    NOT NULL,
    team_id       INTEGER NOT NULL,
    category      TEXT    NOT NULL,
    hour          INTEGER NOT NULL,
    created       INTEGER NOT NULL DEFAULT 0,
    resolved      INTEGER NOT NULL DEFAULT 0,
    first_replied INTEGER NOT NULL DEFAULT 0,
    fcr           INTEGER NOT NULL DEFAULT 0,
    bot_resolved  INTEGER NOT NULL DEFAULT 0,
    handed_over   INTEGER NOT NULL DEFAULT 0,
    sla_breached  INTEGER NOT NULL DEFAULT 0,
    sla_met       INTEGER NOT NULL DEFAULT 0,
    first_response TEXT   NOT NULL DEFAULT '',
    resolution     TEXT   NOT NULL DEFAULT '',
    PRIMARY KEY (cube, channel, team_id, category, hour)
) WITHOUT ROWID;
-- The rebuild replaces whole days.
CREATE INDEX conversation_stats_hour_hour ON conversation_stats_hour(hour);

CREATE TABLE conversation_stats_period (
    cube          INTEGER NOT NULL,
    period        INTEGER NOT NULL,
    channel       TEXT    NOT NULL,
    team_id       INTEGER NOT NULL,
    category      TEXT    NOT NULL,
    assignee_id   INTEGER NOT NULL,
    created       INTEGER NOT NULL DEFAULT 0,
    resolved      INTEGER NOT NULL DEFAULT 0,
    first_replied INTEGER NOT NULL DEFAULT 0,
    fcr           INTEGER NOT NULL DEFAULT 0,
    bot_resolved  INTEGER NOT NULL DEFAULT 0,
    handed_over   INTEGER NOT NULL DEFAULT 0,
    sla_breached  INTEGER NOT NULL DEFAULT 0,
    sla_met       INTEGER NOT NULL DEFAULT 0,
    first_response TEXT   NOT NULL DEFAULT '',
    resolution     TEXT   NOT NULL DEFAULT '',
    PRIMARY KEY (cube, period, channel, team_id, category, assignee_id)
) WITHOUT ROWID;
