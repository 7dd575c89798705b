-- shoprec Postgres schema: the batch's outputs, its run log, and the "current run" views.
--
-- Idempotent: every statement can run again on a database that already has the schema
-- (Schema.ensure, in spark-jobs, applies this file in one transaction when an object is missing).
--
-- Publish protocol (DESIGN.md section 5): every output row carries the run_id of the run that wrote it.
-- A run's rows are loaded with COPY while the run is 'running' and invisible through the current_
-- views; publishing points recommendation_current_run at the run in one transaction, so analysts see
-- the whole new run at once. Older runs stay in the tables until retention deletes them.
--
-- Output tables have no foreign key to the run log: a per-row FK check would slow COPY down, and the
-- rows are only ever written by PostgresStore for a run it has logged. The primary keys are the
-- natural identity of a row within a run (not the rank), so a duplicated row fails the load loudly.

-- One row per run: its life cycle (running -> completed | failed; completed -> rolled_back), counts,
-- timings, parameters and quality gates.
CREATE TABLE IF NOT EXISTS recommendation_job_log (
  run_id         text PRIMARY KEY,
  week           text NOT NULL,
  status         text NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'rolled_back')),
  started_at     timestamptz NOT NULL DEFAULT now(),
  finished_at    timestamptz,
  published_at   timestamptz,            -- when the run was first made current
  as_of          date,
  input_rows     bigint,
  used_rows      bigint,
  rejected_rows  bigint,
  reject_counts  jsonb,                  -- {"missing_customer": 12, ...}
  output_counts  jsonb,                  -- {"weekly_recommendations": 100000, ...}
  stage_timings  jsonb,                  -- {"load": 1234, ...} in milliseconds
  parameters     jsonb,
  gate_results   jsonb,
  forced         boolean NOT NULL DEFAULT false,  -- published although a quality gate failed
  error          text,
  purged_at      timestamptz             -- when retention deleted the run's output rows
);
CREATE INDEX IF NOT EXISTS recommendation_job_log_week ON recommendation_job_log (week, started_at);

-- The run analysts see: at most one row (the unique index on a constant allows no second one).
CREATE TABLE IF NOT EXISTS recommendation_current_run (
  run_id        text NOT NULL REFERENCES recommendation_job_log (run_id),
  published_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS recommendation_current_run_single ON recommendation_current_run ((true));

-- 25 products per active customer and week.
CREATE TABLE IF NOT EXISTS weekly_recommendations (
  run_id       text NOT NULL,
  week         text,
  customer_id  text NOT NULL,
  product_id   text NOT NULL,
  rank         int NOT NULL,
  score        double precision,
  source       text,                     -- repurchase | discovery | popular
  segment      text,
  reason       jsonb,
  PRIMARY KEY (run_id, customer_id, product_id)
);

CREATE TABLE IF NOT EXISTS customer_segments (
  run_id             text NOT NULL,
  customer_id        text NOT NULL,
  segment            text NOT NULL,
  orders             int,
  products           int,
  new_product_share  double precision,
  last_order_at      timestamp,
  PRIMARY KEY (run_id, customer_id)
);

CREATE TABLE IF NOT EXISTS popular_products (
  run_id      text NOT NULL,
  scope       text NOT NULL,             -- 'all' | 'category:X' | 'segment:Y'
  product_id  text NOT NULL,
  rank        int NOT NULL,
  score       double precision,
  orders      bigint,
  customers   bigint,
  PRIMARY KEY (run_id, scope, product_id)
);

CREATE TABLE IF NOT EXISTS similar_customers (
  run_id               text NOT NULL,
  customer_id          text NOT NULL,
  similar_customer_id  text NOT NULL,
  similarity           double precision NOT NULL,
  rank                 int NOT NULL,
  common_products      int,
  PRIMARY KEY (run_id, customer_id, similar_customer_id)
);

CREATE TABLE IF NOT EXISTS item_cooccurrence (
  run_id            text NOT NULL,
  product_id        text NOT NULL,
  other_product_id  text NOT NULL,
  co_count          bigint NOT NULL,
  support           double precision,
  confidence        double precision,
  lift              double precision,
  jaccard           double precision,
  rank              int NOT NULL,
  PRIMARY KEY (run_id, product_id, other_product_id)
);

CREATE TABLE IF NOT EXISTS product_audience (
  run_id       text NOT NULL,
  product_id   text NOT NULL,
  customer_id  text NOT NULL,
  score        double precision,
  rank         int NOT NULL,
  reason       jsonb,                    -- {"als":0.71,"repurchase":0.5}: the two blended signals
  PRIMARY KEY (run_id, product_id, customer_id)
);

CREATE TABLE IF NOT EXISTS als_customer_factors (
  run_id       text NOT NULL,
  customer_id  text NOT NULL,
  factors      real[] NOT NULL,
  PRIMARY KEY (run_id, customer_id)
);

CREATE TABLE IF NOT EXISTS als_product_factors (
  run_id      text NOT NULL,
  product_id  text NOT NULL,
  factors     real[] NOT NULL,
  PRIMARY KEY (run_id, product_id)
);

-- The product catalog the run was given (--catalog), for names and categories next to product ids.
-- Empty for a run without a catalog.
CREATE TABLE IF NOT EXISTS product_catalog (
  run_id      text NOT NULL,
  product_id  text NOT NULL,
  name        text,                      -- the catalog's name column, when the file has one
  category    text,
  PRIMARY KEY (run_id, product_id)
);

-- Evaluations (--evaluate): run_id is the evaluation's own id, eval_<protocol>_<yyyyMMddHHmmss>, not a
-- weekly run's; an evaluation publishes nothing and is not in the run log.
CREATE TABLE IF NOT EXISTS evaluation_results (
  run_id      text NOT NULL,
  protocol    text NOT NULL,             -- last-basket | time-split
  method      text NOT NULL,             -- G-TopFreq | P-TopFreq | GP-TopFreq | repurchase | als | ... | weekly
  segment     text,                      -- 'ALL' for all evaluated customers, else a segment
  items       text,                      -- all | repeat (bought before) | explore (new to the customer)
  metric      text NOT NULL,             -- recall | ndcg | hit_rate | precision | map | coverage
  k           int,
  value       double precision,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS evaluation_results_run ON evaluation_results (run_id, protocol, method);
-- How many customers the value is averaged over (added after the first release: ADD COLUMN IF NOT EXISTS).
ALTER TABLE evaluation_results ADD COLUMN IF NOT EXISTS customers bigint;

-- A small sample of the input rows the job rejected, with the reason.
CREATE TABLE IF NOT EXISTS rejected_rows_sample (
  run_id      text NOT NULL,
  reason      text NOT NULL,
  source_row  text,                      -- the raw row as text
  details     text
);
CREATE INDEX IF NOT EXISTS rejected_rows_sample_run ON rejected_rows_sample (run_id, reason);

-- The current run's rows, one view per output table (run_id stays the first column).
CREATE OR REPLACE VIEW current_weekly_recommendations AS
  SELECT t.* FROM weekly_recommendations t JOIN recommendation_current_run c USING (run_id);
CREATE OR REPLACE VIEW current_customer_segments AS
  SELECT t.* FROM customer_segments t JOIN recommendation_current_run c USING (run_id);
CREATE OR REPLACE VIEW current_popular_products AS
  SELECT t.* FROM popular_products t JOIN recommendation_current_run c USING (run_id);
CREATE OR REPLACE VIEW current_similar_customers AS
  SELECT t.* FROM similar_customers t JOIN recommendation_current_run c USING (run_id);
CREATE OR REPLACE VIEW current_item_cooccurrence AS
  SELECT t.* FROM item_cooccurrence t JOIN recommendation_current_run c USING (run_id);
CREATE OR REPLACE VIEW current_product_audience AS
  SELECT t.* FROM product_audience t JOIN recommendation_current_run c USING (run_id);
CREATE OR REPLACE VIEW current_als_customer_factors AS
  SELECT t.* FROM als_customer_factors t JOIN recommendation_current_run c USING (run_id);
CREATE OR REPLACE VIEW current_als_product_factors AS
  SELECT t.* FROM als_product_factors t JOIN recommendation_current_run c USING (run_id);
CREATE OR REPLACE VIEW current_product_catalog AS
  SELECT t.* FROM product_catalog t JOIN recommendation_current_run c USING (run_id);
CREATE OR REPLACE VIEW current_rejected_rows_sample AS
  SELECT t.* FROM rejected_rows_sample t JOIN recommendation_current_run c USING (run_id);
-- Evaluations are not weekly runs: the current evaluation of a protocol is its newest one.
CREATE OR REPLACE VIEW current_evaluation_results AS
  SELECT t.* FROM evaluation_results t
  WHERE t.run_id IN (SELECT DISTINCT ON (protocol) run_id
                     FROM evaluation_results GROUP BY protocol, run_id
                     ORDER BY protocol, max(created_at) DESC, run_id DESC);

-- One row per evaluation, newest first.
CREATE OR REPLACE VIEW evaluation_runs AS
  SELECT run_id, protocol, min(created_at) AS created_at,
         max(customers) FILTER (WHERE segment = 'ALL') AS customers,
         count(DISTINCT method) AS methods, count(*) AS result_rows
  FROM evaluation_results
  GROUP BY run_id, protocol
  ORDER BY min(created_at) DESC;

-- Every run, newest first, with its duration and whether it is the current one.
CREATE OR REPLACE VIEW recommendation_run_history AS
  SELECT l.run_id, l.week, l.status,
         (c.run_id IS NOT NULL) AS is_current,
         l.started_at, l.finished_at, l.published_at,
         extract(epoch FROM (l.finished_at - l.started_at))::double precision AS duration_seconds,
         l.as_of, l.input_rows, l.used_rows, l.rejected_rows, l.reject_counts, l.output_counts,
         l.stage_timings, l.parameters, l.gate_results, l.forced, l.error, l.purged_at
  FROM recommendation_job_log l
  LEFT JOIN recommendation_current_run c USING (run_id)
  ORDER BY l.started_at DESC;

-- Each run's stage durations, one row per (run, stage), from the run log's stage_timings.
CREATE OR REPLACE VIEW recommendation_stage_timings AS
  SELECT l.run_id, l.week, l.status, l.started_at, s.key AS stage, (s.value::text::bigint / 1000.0)::double precision AS seconds
  FROM recommendation_job_log l, jsonb_each(coalesce(l.stage_timings, '{}'::jsonb)) s
  ORDER BY l.started_at DESC, s.value::text::bigint DESC;

-- Each run's rejected input rows per reason, one row per (run, reason), from the run log's reject_counts.
CREATE OR REPLACE VIEW recommendation_reject_counts AS
  SELECT l.run_id, l.week, l.status, l.started_at, r.key AS reason, r.value::text::bigint AS rows
  FROM recommendation_job_log l, jsonb_each(coalesce(l.reject_counts, '{}'::jsonb)) r
  ORDER BY l.started_at DESC, r.value::text::bigint DESC;
