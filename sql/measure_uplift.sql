-- holdout_uplift against textbook numbers.  The expected values were
-- computed offline by an independent script (normal via erfc, Student t by
-- Simpson integration of its density; no scipy: test/tools/uplift_reference.py)
-- from these formulas:
--   conversion: d = p1 - p2, Wald interval d +- z sqrt(p1(1-p1)/n1 + p2(1-p2)/n2),
--     p-value of the pooled two-proportion z test z = d / sqrt(p(1-p)(1/n1+1/n2)),
--     relative uplift p1/p2 - 1 with the Katz log interval
--     exp(ln(p1/p2) +- z sqrt((1-p1)/x1 + (1-p2)/x2)) - 1;
--   GMV: Welch's t, se = sqrt(s1^2/n1 + s2^2/n2), Welch-Satterthwaite df,
--     relative interval exp(ln(m1/m2) +- z sqrt(s1^2/(n1 m1^2) + s2^2/(n2 m2^2))) - 1.
SET extra_float_digits = 0;
-- Textbook example: Agresti, Categorical Data Analysis (2nd ed., sec. 3.1.4,
-- Physicians' Health Study): myocardial infarction 189 of 11034 on placebo,
-- 104 of 11037 on aspirin.  Difference of proportions 0.0077 with 95%
-- interval (0.005, 0.011); relative risk 1.82 with interval (1.43, 2.30).
-- Here placebo is "treated" (persons 1..11034), aspirin the holdout
-- (100001..111037), and a conversion is an infarction.
CREATE TABLE up_outcome AS
SELECT p AS person_id, p <= 189 AS converted, NULL::float8 AS gmv FROM generate_series(1, 11034) p
UNION ALL
SELECT p, p <= 100104, NULL FROM generate_series(100001, 100200) p;
CREATE TABLE up_aud AS
SELECT audience_agg(p) FILTER (WHERE p <= 11034) AS treated,
       audience_agg(p) FILTER (WHERE p > 100000) AS holdout,
       audience_agg(p) FILTER (WHERE p % 1000 = 7) AS contacts
FROM (SELECT generate_series(1, 11034) UNION ALL SELECT generate_series(100001, 111037)) g(p);
SELECT metric, treated, holdout, round(uplift::numeric, 6) AS uplift,
       round(uplift_low::numeric, 6) AS low, round(uplift_high::numeric, 6) AS high,
       round(relative_uplift::numeric, 6) AS rel, round(relative_low::numeric, 6) AS rel_low,
       round(relative_high::numeric, 6) AS rel_high, p_value::numeric(12, 10) AS p,
       round(incremental::numeric, 4) AS incremental
FROM unnest((SELECT holdout_uplift(o.person_id, o.converted, o.gmv, a.treated, a.holdout, a.contacts)
             FROM up_outcome o, up_aud a));
-- reference (independent script): p1 0.017128874388254486, p2 0.009422850412249705,
-- d 0.0077060239760047815, interval 0.004687750675049441 .. 0.010724297276960122,
-- relative 0.8178017944535074, interval 0.433030903050563 .. 1.3058842324224456,
-- p-value 5.69189697374739e-07, incremental 85.02826855123676
WITH r AS (SELECT * FROM unnest((SELECT holdout_uplift(o.person_id, o.converted, o.gmv, a.treated, a.holdout, NULL)
             FROM up_outcome o, up_aud a)) WHERE metric = 'conversion')
SELECT abs(treated - 0.017128874388254486) < 1e-15 AS p1, abs(holdout - 0.009422850412249705) < 1e-15 AS p2,
       abs(uplift_low - 0.004687750675049441) < 1e-12 AND abs(uplift_high - 0.010724297276960122) < 1e-12 AS interval,
       abs(relative_low - 0.433030903050563) < 1e-12 AND abs(relative_high - 1.3058842324224456) < 1e-12 AS relative_interval,
       abs(p_value - 5.69189697374739e-07) < 1e-15 AS p_value, abs(incremental - 85.02826855123676) < 1e-9 AS incremental
FROM r;
-- Welch: GMV of 12 treated persons (2 without a row: converted false, gmv 0)
-- and 10 holdout persons.  Reference: means 65.45 and 27.5, d 37.95,
-- df 16.715115419828226, t 1.508935538784629, t(0.975, df) 2.112558103928537,
-- interval -15.181216001885744 .. 91.08121600188575, p 0.1499849647863698,
-- relative 1.38 with interval -0.194717459449661 .. 6.034052912818507,
-- incremental 455.4; conversion 7/12 against 5/10.
CREATE TABLE up_gmv(person_id bigint, gmv float8);
INSERT INTO up_gmv VALUES (1, 120), (2, 0), (3, 35.5), (4, 80), (5, 0), (6, 240), (7, 60), (8, 0), (9, 99.9), (10, 150),
  (21, 40), (22, 0), (23, 0), (24, 75), (25, 20), (26, 0), (27, 0), (28, 110), (29, 0), (30, 30);
SELECT metric, treated, holdout, round(uplift::numeric, 9) AS uplift,
       round(uplift_low::numeric, 9) AS low, round(uplift_high::numeric, 9) AS high,
       round(relative_uplift::numeric, 9) AS rel, round(relative_low::numeric, 9) AS rel_low,
       round(relative_high::numeric, 9) AS rel_high, round(p_value::numeric, 9) AS p,
       round(incremental::numeric, 6) AS incremental, round(incremental_low::numeric, 6) AS inc_low
FROM unnest((SELECT holdout_uplift(person_id, gmv > 0, gmv, '{1,2,3,4,5,6,7,8,9,10,11,12}', '{21-30}', '{25, 2, 99}') FROM up_gmv));
SELECT abs(uplift_low - -15.181216001885744) < 1e-9 AND abs(uplift_high - 91.08121600188575) < 1e-9 AS interval,
       abs(p_value - 0.1499849647863698) < 1e-9 AS p_value,
       abs(relative_low - -0.194717459449661) < 1e-12 AND abs(relative_high - 6.034052912818507) < 1e-12 AS relative_interval,
       abs(incremental - 455.4) < 1e-9 AS incremental
FROM unnest((SELECT holdout_uplift(person_id, gmv > 0, gmv, '{1-12}', '{21-30}', NULL) FROM up_gmv)) WHERE metric = 'gmv_per_person';
-- the same at 90% (reference -5.844363008716407 .. 81.74436300871642) and by
-- percentile bootstrap: the same seed gives the same
-- interval, another seed another; the interval holds the estimate
SELECT metric, round(uplift_low::numeric, 6) AS low, round(uplift_high::numeric, 6) AS high
FROM unnest((SELECT holdout_uplift(person_id, gmv > 0, gmv, '{1,2,3,4,5,6,7,8,9,10,11,12}', '{21-30}', NULL, 0.90, 0, 0, 'error') FROM up_gmv))
WHERE metric = 'gmv_per_person';
CREATE TABLE up_boot AS
SELECT s, r.*
FROM generate_series(1, 3) s, LATERAL unnest((SELECT holdout_uplift(person_id, gmv > 0, gmv, '{1,2,3,4,5,6,7,8,9,10,11,12}', '{21-30}', NULL,
       0.95, 2000, CASE WHEN s = 3 THEN 8 ELSE 7 END, 'error') FROM up_gmv)) r
WHERE r.metric IN ('conversion', 'gmv_per_person');
SELECT metric, count(DISTINCT (uplift_low, uplift_high)) FILTER (WHERE s < 3) AS same_seed_intervals,
       count(DISTINCT (uplift_low, uplift_high)) AS all_intervals,
       bool_and(uplift_low < uplift AND uplift < uplift_high) AS holds_estimate,
       bool_and(p_value IS NOT NULL) AS analytic_p_value
FROM up_boot GROUP BY metric ORDER BY metric;
-- bootstrap of a large sample is near the analytic interval
SELECT metric, round(b.uplift_low::numeric, 3) AS boot_low, round(a.uplift_low::numeric, 3) AS low,
       round(b.uplift_high::numeric, 3) AS boot_high, round(a.uplift_high::numeric, 3) AS high
FROM unnest((SELECT holdout_uplift(o.person_id, o.converted, o.gmv, a.treated, a.holdout, NULL, 0.95, 400, 1, 'error') FROM up_outcome o, up_aud a)) b
JOIN unnest((SELECT holdout_uplift(o.person_id, o.converted, o.gmv, a.treated, a.holdout, NULL) FROM up_outcome o, up_aud a)) a USING (metric)
WHERE metric = 'conversion';
-- overlap: refused, or left out of both groups on request
SELECT holdout_uplift(person_id, gmv > 0, gmv, '{1-12}', '{10-30}', NULL) FROM up_gmv;
SELECT metric, treated, holdout, round(uplift::numeric, 6) AS uplift
FROM unnest((SELECT holdout_uplift(person_id, gmv > 0, gmv, '{1-12}', '{10-30}', '{5-11}', 0.95, 0, 0, 'exclude') FROM up_gmv));
-- no rows at all: NULL; persons of neither group are ignored
SELECT holdout_uplift(person_id, gmv > 0, gmv, '{1-12}', '{21-30}', NULL) FROM up_gmv WHERE false;
SELECT metric, treated, holdout FROM unnest((SELECT holdout_uplift(p, true, 1, '{1}', '{2}', NULL) FROM generate_series(3, 5) p));
-- the same set in another form on later rows is the same audience: an
-- expanded value on the first row, then stored values (short and long
-- varlena headers), as rows from another node arrive
CREATE TEMP TABLE up_groups (person_id bigint, treated audience, holdout audience);
INSERT INTO up_groups SELECT person_id, '{1-12}', '{21-30}' FROM up_gmv;
SELECT metric, treated, holdout FROM unnest((
  SELECT holdout_uplift(g.person_id, u.gmv > 0, u.gmv,
         CASE WHEN g.person_id = (SELECT min(person_id) FROM up_gmv) THEN audience_from_range(1, 13) ELSE g.treated END,
         CASE WHEN g.person_id % 2 = 0 THEN audience(g.holdout::bytea) ELSE g.holdout END, NULL ORDER BY g.person_id)
  FROM up_groups g JOIN up_gmv u USING (person_id))) WHERE metric = 'persons';
-- errors
SELECT holdout_uplift(person_id, gmv > 0, gmv, '{}', '{21-30}', NULL) FROM up_gmv;
SELECT holdout_uplift(person_id, gmv > 0, gmv, '{1-12}', '{100-101}' - '{100-101}'::audience, NULL) FROM up_gmv;
SELECT holdout_uplift(person_id, gmv > 0, gmv, NULL, '{21-30}', NULL) FROM up_gmv;
SELECT holdout_uplift(p, true, 1, '{1}', '{2}', NULL) FROM (VALUES (1), (1)) v(p);
SELECT holdout_uplift(person_id, gmv > 0, gmv, '{1-12}', '{21-30}', NULL, 1.5, 0, 0, 'error') FROM up_gmv;
SELECT holdout_uplift(person_id, gmv > 0, gmv, '{1-12}', '{21-30}', NULL, 0.95, -1, 0, 'error') FROM up_gmv;
SELECT holdout_uplift(person_id, gmv > 0, gmv, '{1-12}', '{21-30}', NULL, 0.95, 0, 0, 'ignore') FROM up_gmv;
SELECT holdout_uplift(person_id, gmv > 0, gmv, CASE WHEN person_id < 5 THEN '{1-12}' ELSE '{1-11}' END::audience, '{21-30}', NULL) FROM up_gmv;
SELECT holdout_uplift(-1, true, 1, '{1}', '{2}', NULL);
