-- clv_models: BG/NBD, Pareto/NBD and Gamma-Gamma fits, predictions, clv().
-- Fitted values are rounded: the optimiser's last digits are not part of the contract.
CREATE TABLE fit_data AS SELECT * FROM bgnbd_sample(3000, 0.5, 8, 0.8, 2.5, 52, 7);
SELECT count(*), min(frequency) >= 0 AS freq_ok, bool_and(recency <= t) AS recency_ok, max(t) <= 52 AS t_ok FROM fit_data;
-- the sampler is deterministic for a seed
SELECT (SELECT sum(frequency) FROM bgnbd_sample(100, 0.5, 8, 0.8, 2.5, 52, 7)) = (SELECT sum(frequency) FROM bgnbd_sample(100, 0.5, 8, 0.8, 2.5, 52, 7)) AS same_seed_same_data;

-- normal: fits converge and report n
SELECT round(r::numeric, 1) AS r, round(alpha::numeric, 0) AS alpha, n, converged FROM (SELECT (bgnbd_fit(frequency, recency, t)).* FROM fit_data) f;
SELECT n, converged, log_likelihood < 0 AS ll_negative FROM (SELECT (pareto_nbd_fit(frequency, recency, t)).* FROM fit_data) f;
-- Gamma-Gamma: customers with frequency 0 are skipped; on this tiny sample the
-- likelihood keeps rising as p grows and v shrinks, and the fit says it did not converge
SELECT n, converged FROM (SELECT (gammagamma_fit(x, m)).* FROM (VALUES (1, 10.0), (2, 12.0), (3, 9.0), (1, 30.0), (4, 11.0), (2, 8.5), (5, 10.5), (1, 14.0), (0, 0), (3, 20.0), (2, 15.0)) d(x, m)) f;
-- a deterministic spread of spends with per-customer means is fitted; the fitted
-- population mean spend p v / (q - 1) is close to the data's mean
SELECT round((p * v / (q - 1))::numeric, 0) AS fitted_mean, n, converged FROM (SELECT (gammagamma_fit(x, m)).* FROM (
    SELECT x, avg(z) AS m FROM (
        SELECT c, 1 + c % 4 AS x, nu, k FROM (SELECT c, 0.05 + 0.1 * ((c * 7919) % 1000) / 1000.0 AS nu FROM generate_series(1, 2000) c) s, generate_series(1, 5) k) u,
        LATERAL (SELECT 4 / nu * (1 + 0.5 * sin(c * 12.9898 + k * 78.233)) AS z) w
    WHERE k <= x GROUP BY c, x) d) f;

-- predictions with fixed parameters (the published CDNOW fit, rounded)
CREATE TABLE bg AS SELECT ROW(0.243, 4.414, 0.793, 2.426, -9582.4, 2357, true, 0)::bgnbd_params AS p;
CREATE TABLE pn AS SELECT ROW(0.553, 10.578, 0.606, 11.669, -9595.0, 2357, true, 0)::pareto_nbd_params AS p;
CREATE TABLE gg AS SELECT ROW(6.25, 3.74, 15.44, -4055.9, 946, true, 0)::gammagamma_params AS p;
SELECT round(bgnbd_expected_purchases(p, 39, 2, 30.43, 38.86)::numeric, 3) AS e39, round(bgnbd_p_alive(p, 2, 30.43, 38.86)::numeric, 3) AS alive FROM bg;
SELECT round(bgnbd_expected_purchases_new(p, t)::numeric, 4) AS e FROM bg, (VALUES (1), (3), (78)) h(t);
SELECT round(pareto_nbd_expected_purchases(p, 39, 2, 30.43, 38.86)::numeric, 3) AS e39, round(pareto_nbd_p_alive(p, 2, 30.43, 38.86)::numeric, 3) AS alive, round(pareto_nbd_expected_purchases_new(p, 78)::numeric, 3) AS new78 FROM pn;
SELECT round(gammagamma_expected_spend(p, 2, 22.35)::numeric, 2) AS repeat_buyer, round(gammagamma_expected_spend(p, 0, 0)::numeric, 2) AS population_mean FROM gg;
-- edge: t = 0 predicts nothing; a one-time buyer is alive under BG/NBD; long horizons stay finite
SELECT bgnbd_expected_purchases(p, 0, 3, 10, 20) AS zero_horizon, bgnbd_p_alive(p, 0, 0, 30) AS one_timer_alive FROM bg;
SELECT round(bgnbd_expected_purchases(p, 5000, 50, 38, 39)::numeric, 1) AS heavy_buyer_long_horizon FROM bg;
-- p(alive) falls as the last purchase ages
SELECT bool_and(a1 > a2) AS decreasing FROM (SELECT bgnbd_p_alive(p, 3, tx, 39) a1, bgnbd_p_alive(p, 3, tx - 5, 39) a2 FROM bg, generate_series(10, 35, 5) tx) s;
-- clv: more horizon, more value; discounting lowers it; zero horizon is zero
SELECT round(clv(b.p, g.p, 2, 30.43, 38.86, 22.35, 52, 0)::numeric, 2) AS undiscounted,
       round(clv(b.p, g.p, 2, 30.43, 38.86, 22.35, 52, 0.01, 4.345)::numeric, 2) AS monthly_1pct,
       round(clv(b.p, g.p, 2, 30.43, 38.86, 22.35, 104, 0.01, 4.345)::numeric, 2) AS two_years,
       clv(b.p, g.p, 2, 30.43, 38.86, 22.35, 0, 0.01) AS zero
FROM bg b, gg g;
-- undiscounted CLV equals expected spend times expected purchases
SELECT abs(clv(b.p, g.p, 2, 30.43, 38.86, 22.35, 39, 0) - gammagamma_expected_spend(g.p, 2, 22.35) * bgnbd_expected_purchases(b.p, 39, 2, 30.43, 38.86)) < 1e-9 AS consistent FROM bg b, gg g;
SELECT round(clv(n.p, g.p, 2, 30.43, 38.86, 22.35, 52, 0.01, 4.345)::numeric, 2) AS pareto_clv FROM pn n, gg g;

-- edge: empty input gives NULL; only one-time buyers cannot be fitted and say so
SELECT bgnbd_fit(frequency, recency, t) IS NULL AS empty_is_null FROM fit_data WHERE false;
SELECT gammagamma_fit(frequency, 5) IS NULL AS no_repeaters_is_null FROM fit_data WHERE frequency = 0;
SELECT converged FROM (SELECT (bgnbd_fit(0, 0, t)).* FROM generate_series(1, 50) t) f;
-- NULL rows are skipped
SELECT n FROM (SELECT (bgnbd_fit(x, tx, tt)).* FROM (VALUES (1, 2, 10), (NULL, 1, 5), (0, 0, 4), (2, 3, 9)) d(x, tx, tt)) f;

-- errors: bad data
SELECT bgnbd_fit(-1, 0, 10);
SELECT bgnbd_fit(1.5, 2, 10);
SELECT bgnbd_fit(2, 11, 10);
SELECT bgnbd_fit(2, 'NaN', 10);
SELECT pareto_nbd_fit(2, 1, 'Infinity');
SELECT pareto_nbd_fit(1, -1, 10);
SELECT gammagamma_fit(2, 0);
SELECT gammagamma_fit(2, 'NaN');
SELECT bgnbd_expected_purchases(p, -1, 1, 1, 2) FROM bg;
SELECT bgnbd_p_alive(p, 1, 3, 2) FROM bg;
SELECT bgnbd_p_alive(ROW(NULL, 4.4, 0.8, 2.4, 0, 0, true, 0)::bgnbd_params, 1, 1, 2);
SELECT bgnbd_p_alive(ROW(-1, 4.4, 0.8, 2.4, 0, 0, true, 0)::bgnbd_params, 1, 1, 2);
SELECT gammagamma_expected_spend(ROW(6.25, 0.5, 15.44, 0, 0, true, 0)::gammagamma_params, 0, 0);
SELECT clv(b.p, g.p, 2, 30, 38, 22, 52, -1) FROM bg b, gg g;
SELECT clv(b.p, g.p, 2, 30, 38, 22, 52, 0.01, 0) FROM bg b, gg g;
SELECT clv(b.p, g.p, 2, 30, 38, 22, 1e9, 0.01) FROM bg b, gg g;
SELECT bgnbd_sample(10, 0, 1, 1, 1, 10);
SELECT bgnbd_sample(-1, 1, 1, 1, 1, 10);
DROP TABLE fit_data, bg, pn, gg;
