-- test/bench/lib.sql: helpers for the benchmarks (loaded before every bench file).
--
-- quanyu_bench.compare(label, quanyu_sql, baseline_sql, runs) runs each
-- statement `runs` times (after one warm-up run each when runs > 1), takes the best time,
-- and prints "label: quanyu X ms, baseline Y ms, ratio X/Y".

CREATE SCHEMA quanyu_bench;

CREATE FUNCTION quanyu_bench.time_ms(stmt text, runs int) RETURNS double precision
LANGUAGE plpgsql AS $$
DECLARE
	best double precision := 'Infinity';
	t0 timestamptz;
BEGIN
	IF runs > 1 THEN
		EXECUTE stmt;  -- warm-up: caches, JIT, TOAST reads
	END IF;
	FOR i IN 1..runs LOOP
		t0 := clock_timestamp();
		EXECUTE stmt;
		best := least(best, extract(epoch FROM clock_timestamp() - t0) * 1000);
	END LOOP;
	RETURN best;
END $$;

-- Milliseconds to print: one decimal, three below 10 ms (so sub-millisecond
-- statements still show a ratio's parts).
CREATE FUNCTION quanyu_bench.ms(t double precision) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT round(t::numeric, CASE WHEN t < 10 THEN 3 ELSE 1 END) $$;

CREATE FUNCTION quanyu_bench.compare(label text, quanyu_sql text, baseline_sql text, runs int DEFAULT 3)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	q double precision := quanyu_bench.time_ms(quanyu_sql, runs);
	b double precision := quanyu_bench.time_ms(baseline_sql, runs);
BEGIN
	RAISE NOTICE '%: quanyu % ms, baseline % ms, ratio %',
		label, quanyu_bench.ms(q), quanyu_bench.ms(b), round((q / b)::numeric, 3);
END $$;
