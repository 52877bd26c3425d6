-- The knowledge base: categories and sections, articles per locale with
-- their revisions, uploaded files, and what customers do with it (searches,
-- views, feedback, search signals), plus the pinned questions per context.
-- parent_id and category_id are 0 for "none", so they are checked in Go
-- rather than by foreign keys. List columns are JSON arrays.

CREATE TABLE kb_categories (
    id          INTEGER PRIMARY KEY,
    group_id    INTEGER NOT NULL,
    parent_id   INTEGER NOT NULL DEFAULT 0,
    locale      TEXT    NOT NULL,
    slug        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    icon        TEXT    NOT NULL DEFAULT '',
    position    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (locale, slug)
);
CREATE INDEX kb_categories_parent ON kb_categories(parent_id) WHERE parent_id <> 0;

CREATE TABLE kb_articles (
    id           INTEGER PRIMARY KEY,
    group_id     INTEGER NOT NULL,
    locale       TEXT    NOT NULL,
    category_id  INTEGER NOT NULL DEFAULT 0,
    slug         TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    questions    TEXT    NOT NULL DEFAULT '[]',
    body         TEXT    NOT NULL DEFAULT '',
    status       TEXT    NOT NULL,
    internal     INTEGER NOT NULL DEFAULT 0,
    related      TEXT    NOT NULL DEFAULT '[]',
    contexts     TEXT    NOT NULL DEFAULT '[]',
    position     INTEGER NOT NULL DEFAULT 0,
    author_id    INTEGER NOT NULL DEFAULT 0,
    updated_by   INTEGER NOT NULL DEFAULT 0,
    revision     INTEGER NOT NULL DEFAULT 0,
    reviewed_at  INTEGER NOT NULL DEFAULT 0,
    published_at INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX kb_articles_slug ON kb_articles(locale, slug);
CREATE INDEX kb_articles_group ON kb_articles(group_id);
CREATE INDEX kb_articles_category ON kb_articles(category_id);
-- The search index polls for what changed since its last look.
CREATE INDEX kb_articles_updated ON kb_articles(updated_at);

CREATE TABLE kb_revisions (
    id         INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
    number     INTEGER NOT NULL,
    agent_id   INTEGER NOT NULL DEFAULT 0,
    title      TEXT    NOT NULL DEFAULT '',
    body       TEXT    NOT NULL DEFAULT '',
    questions  TEXT    NOT NULL DEFAULT '[]',
    status     TEXT    NOT NULL DEFAULT '',
    note       TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    UNIQUE (article_id, number)
);

CREATE TABLE kb_files (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    content_type TEXT    NOT NULL DEFAULT '',
    size         INTEGER NOT NULL DEFAULT 0,
    blob_key     TEXT    NOT NULL,
    agent_id     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
);

-- History: article ids here are not foreign keys, the log outlives articles.
CREATE TABLE kb_search_logs (
    id                 INTEGER PRIMARY KEY,
    query              TEXT    NOT NULL,
    norm               TEXT    NOT NULL,
    locale             TEXT    NOT NULL DEFAULT '',
    source             TEXT    NOT NULL DEFAULT '',
    context            TEXT    NOT NULL DEFAULT '',
    results            INTEGER NOT NULL DEFAULT 0,
    top_article_id     INTEGER NOT NULL DEFAULT 0,
    clicked_article_id INTEGER NOT NULL DEFAULT 0,
    visitor_key        TEXT    NOT NULL DEFAULT '',
    contact_id         INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL
);
CREATE INDEX kb_search_logs_created ON kb_search_logs(created_at);
CREATE INDEX kb_search_logs_norm ON kb_search_logs(norm, created_at);

CREATE TABLE kb_views (
    article_id  INTEGER NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
    context     TEXT    NOT NULL DEFAULT '',
    locale      TEXT    NOT NULL DEFAULT '',
    visitor_key TEXT    NOT NULL DEFAULT '',
    contact_id  INTEGER NOT NULL DEFAULT 0,
    at          INTEGER NOT NULL
);
-- For the cascade of DeleteArticle; the counts use the other two, which
-- cover them: a period's views, and a context's.
CREATE INDEX kb_views_article ON kb_views(article_id);
CREATE INDEX kb_views_at ON kb_views(at, locale, article_id);
CREATE INDEX kb_views_context ON kb_views(context, locale, at, article_id);

CREATE TABLE kb_feedback (
    id          INTEGER PRIMARY KEY,
    article_id  INTEGER NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
    helpful     INTEGER NOT NULL,
    comment     TEXT    NOT NULL DEFAULT '',
    search_id   INTEGER NOT NULL DEFAULT 0,
    visitor_key TEXT    NOT NULL DEFAULT '',
    contact_id  INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);
CREATE INDEX kb_feedback_article ON kb_feedback(article_id, created_at);
CREATE INDEX kb_feedback_created ON kb_feedback(created_at);

-- One signal per visitor, query and article: a later one replaces it.
CREATE TABLE kb_signals (
    article_id  INTEGER NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
    norm        TEXT    NOT NULL,
    query       TEXT    NOT NULL,
    visitor_key TEXT    NOT NULL,
    weight      INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (article_id, norm, visitor_key)
) WITHOUT ROWID;

-- Pinned questions: article group ids in order, per context and locale.
CREATE TABLE kb_faq_pins (
    context  TEXT    NOT NULL,
    locale   TEXT    NOT NULL,
    position INTEGER NOT NULL,
    group_id INTEGER NOT NULL,
    PRIMARY KEY (context, locale, position)
) WITHOUT ROWID;
