-- 05_html.sql: the HTML report, built in SQL.  Functions that return SVG
-- charts (inline, no scripts, no network) and demo.html_report(), which
-- assembles one <section> per report section with exactly one chart each.
-- Sections whose capability is not installed say so and draw nothing.

\set ON_ERROR_STOP 1

-- Text made safe for HTML and SVG.
CREATE FUNCTION demo.esc(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN replace(replace(replace(replace(t, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;');

-- A number with thousands separators and the decimals it was rounded to,
-- so a column keeps one format (51.1 stays 51.1, 0.818 stays 0.818, a count
-- has none: 193610 is 193,610); a long fraction (a converted float) is cut
-- to 2 decimals.  Callers pass counts and values as they are, never
-- round(x, 2) of a whole number (that would print 193,610.00).
CREATE FUNCTION demo.num(n numeric) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT CASE WHEN x < 0 THEN '-' ELSE '' END || to_char(trunc(abs(x)), 'FM999,999,999,999,990')
		|| CASE WHEN scale(x) > 0 THEN '.' || split_part(abs(x)::text, '.', 2) ELSE '' END
	FROM (SELECT CASE WHEN scale(n) > 4 THEN round(n, 2) ELSE n END AS x) a);

-- A round axis step (1, 2 or 5 x 10^k) for about `ticks` steps up to vmax:
-- 193,039 in 4 steps gives 50,000 (ticks 0, 50,000 .. 200,000); a whole
-- number (scale 0), so demo.num prints it without decimals.
CREATE FUNCTION demo.nice_step(vmax double precision, ticks int) RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (SELECT round(CASE WHEN f <= 1 THEN 1 WHEN f <= 2 THEN 2 WHEN f <= 5 THEN 5 ELSE 10 END * power(10::numeric, k))
	FROM (SELECT raw / power(10::numeric, k) AS f, k
	      FROM (SELECT raw, floor(log(raw))::int AS k
	            FROM (SELECT greatest(vmax / greatest(ticks, 1), 1)::numeric AS raw) a) b) c);

-- Horizontal bars: one labelled bar per value, the value printed after it.
CREATE FUNCTION demo.svg_hbars(labels text[], vals double precision[], suffix text, colors text[])
RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
	n int := coalesce(array_length(labels, 1), 0);
	w int := 760; lw int := 230; bh int := 22; gap int := 8;
	vw int := 0;   -- room right of the longest bar for its value label
	vmax double precision := 0;
	s text;
	i int;
	bw double precision;
BEGIN
	FOR i IN 1 .. n LOOP
		vmax := greatest(vmax, vals[i]);
		-- about 7 px per character at 11 px (digits, Latin, punctuation)
		vw := greatest(vw, 12 + 7 * length(demo.num(vals[i]::numeric) || suffix));
	END LOOP;
	IF vmax <= 0 THEN vmax := 1; END IF;
	s := format('<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="%s" height="%s" viewBox="0 0 %s %s">',
		w, n * (bh + gap) + gap, w, n * (bh + gap) + gap);
	FOR i IN 1 .. n LOOP
		bw := (w - lw - vw) * vals[i] / vmax;
		s := s || format('<text x="%s" y="%s" text-anchor="end" class="lbl">%s</text>',
			lw - 8, gap + (i - 1) * (bh + gap) + 16, demo.esc(labels[i]))
			|| format('<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s: %s%s</title></rect>',
			lw, gap + (i - 1) * (bh + gap), round(bw::numeric, 1), bh,
			colors[1 + (i - 1) % array_length(colors, 1)], demo.esc(labels[i]), demo.num(vals[i]::numeric), demo.esc(suffix))
			|| format('<text x="%s" y="%s" class="val">%s%s</text>',
			round((lw + bw + 6)::numeric, 1), gap + (i - 1) * (bh + gap) + 16,
			demo.num(vals[i]::numeric), demo.esc(suffix));
	END LOOP;
	RETURN s || '</svg>';
END $$;

-- Vertical bars (a histogram): labels under the bars, values on top.
CREATE FUNCTION demo.svg_vbars(labels text[], vals double precision[], color text, ylabel text, xlabel text DEFAULT NULL)
RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
	n int := coalesce(array_length(labels, 1), 0);
	w int := 900; h int := 320; top int := 24; bottom int := 76; left_ int := 60;
	vmax double precision := 0;
	s text;
	i int;
	bw double precision;
	bh double precision;
BEGIN
	FOR i IN 1 .. n LOOP vmax := greatest(vmax, vals[i]); END LOOP;
	IF vmax <= 0 THEN vmax := 1; END IF;
	bw := (w - left_ - 10)::double precision / greatest(n, 1);
	s := format('<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="%s" height="%s" viewBox="0 0 %s %s">', w, h, w, h)
		|| format('<text x="12" y="%s" class="lbl" transform="rotate(-90 12 %s)" text-anchor="middle">%s</text>',
			top + (h - top - bottom) / 2, top + (h - top - bottom) / 2, demo.esc(ylabel))
		|| format('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#888"/>', left_, h - bottom, w - 10, h - bottom)
		|| CASE WHEN xlabel IS NULL THEN '' ELSE format('<text x="%s" y="%s" text-anchor="middle" class="lbl">%s</text>',
			left_ + (w - 10 - left_) / 2, h - 6, demo.esc(xlabel)) END;
	FOR i IN 1 .. n LOOP
		bh := (h - top - bottom) * vals[i] / vmax;
		s := s || format('<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s: %s</title></rect>',
			round((left_ + (i - 1) * bw + 2)::numeric, 1), round((h - bottom - bh)::numeric, 1),
			round((bw - 4)::numeric, 1), round(bh::numeric, 1), color, demo.esc(labels[i]), demo.num(vals[i]::numeric))
			|| format('<text x="%s" y="%s" text-anchor="middle" class="val">%s</text>',
			round((left_ + (i - 0.5) * bw)::numeric, 1), round((h - bottom - bh - 4)::numeric, 1), demo.num(round(vals[i]::numeric)))
			|| format('<text x="%s" y="%s" text-anchor="end" class="tick" transform="rotate(-35 %s %s)">%s</text>',
			round((left_ + (i - 0.5) * bw)::numeric, 1), h - bottom + 14,
			round((left_ + (i - 0.5) * bw)::numeric, 1), h - bottom + 14, demo.esc(labels[i]));
	END LOOP;
	RETURN s || '</svg>';
END $$;

-- Stacked bars of tier assets per month, with a legend.
CREATE FUNCTION demo.svg_tier_assets() RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
	w int := 900; h int := 360; top int := 40; bottom int := 50; left_ int := 70;
	nm int := (SELECT count(DISTINCT month) FROM demo.r_assets);
	vmax double precision := (SELECT max(t) FROM (SELECT sum(persons) AS t FROM demo.r_assets GROUP BY month) x);
	step numeric := demo.nice_step(coalesce(vmax, 1), 4);
	nt int := ceil(greatest(coalesce(vmax, 1), 1) / step);   -- the axis runs to nt steps
	bw double precision;
	s text;
	r record;
	y double precision;
	prev_month int := -1;
	k int := 0;
BEGIN
	bw := (w - left_ - 10)::double precision / greatest(nm, 1);
	s := format('<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="%s" height="%s" viewBox="0 0 %s %s">', w, h, w, h);
	FOR r IN SELECT tier, zh || ' ' || en AS name, color FROM demo.tier_label ORDER BY tier LOOP
		s := s || format('<rect x="%s" y="10" width="14" height="14" fill="%s"/><text x="%s" y="22" class="lbl">%s</text>',
			left_ + (r.tier - 1) * 150, r.color, left_ + (r.tier - 1) * 150 + 18, demo.esc(r.name));
	END LOOP;
	vmax := nt * step;
	FOR r IN SELECT i FROM generate_series(0, nt) i LOOP
		s := s || format('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e3e3e3"/><text x="%s" y="%s" text-anchor="end" class="tick">%s</text>',
			left_, round((h - bottom - (h - top - bottom) * r.i / nt::numeric)::numeric, 1), w - 10,
			round((h - bottom - (h - top - bottom) * r.i / nt::numeric)::numeric, 1),
			left_ - 6, round((h - bottom - (h - top - bottom) * r.i / nt::numeric + 4)::numeric, 1),
			demo.num(step * r.i));
	END LOOP;
	FOR r IN SELECT a.month, a.label, a.tier, a.persons, l.color, l.zh || ' ' || l.en AS name
	         FROM demo.r_assets a JOIN demo.tier_label l USING (tier) ORDER BY a.month, a.tier LOOP
		IF r.month <> prev_month THEN
			y := h - bottom;
			prev_month := r.month;
			k := k + 1;
			IF k % 3 = 1 THEN
				s := s || format('<text x="%s" y="%s" text-anchor="middle" class="tick">%s</text>',
					round((left_ + (k - 0.5) * bw)::numeric, 1), h - bottom + 16, r.label);
			END IF;
		END IF;
		s := s || format('<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s %s: %s</title></rect>',
			round((left_ + (k - 1) * bw + 2)::numeric, 1), round((y - (h - top - bottom) * r.persons / vmax)::numeric, 1),
			round((bw - 4)::numeric, 1), round(((h - top - bottom) * r.persons / vmax)::numeric, 1),
			r.color, r.label, demo.esc(r.name), demo.num(r.persons) || ' persons');
		y := y - (h - top - bottom) * r.persons / vmax;
	END LOOP;
	RETURN s || '</svg>';
END $$;

-- The tier flow as a Sankey-style diagram: last month's tiers (and new
-- persons) on the left, this month's (and lost persons) on the right,
-- bands as wide as the number of persons moving.
CREATE FUNCTION demo.svg_flow_sankey() RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
	w int := 900; h int := 460; top int := 30; gap int := 12; nw int := 16;
	x0 int := 170; x1 int := 900 - 170;
	left_total double precision; right_total double precision; scale double precision;
	lo double precision[] := array_fill(0::double precision, ARRAY[6]);   -- node tops, index = node order
	ro double precision[] := array_fill(0::double precision, ARRAY[6]);
	lfill double precision[] := array_fill(0::double precision, ARRAY[6]); -- band offsets inside nodes
	rfill double precision[] := array_fill(0::double precision, ARRAY[6]);
	s text;
	r record;
	y double precision;
	ya double precision; yb double precision; th double precision; xm double precision := (170 + 730) / 2.0;
BEGIN
	-- node order top to bottom: ambassador .. prospect, then new (left) / lost (right)
	SELECT sum(persons) INTO left_total FROM demo.r_flow;
	right_total := left_total;
	scale := (h - top - 10 - 5 * gap) / greatest(left_total, 1);
	s := format('<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="%s" height="%s" viewBox="0 0 %s %s">', w, h, w, h)
		|| format('<text x="%s" y="18" text-anchor="middle" class="lbl">%s</text><text x="%s" y="18" text-anchor="middle" class="lbl">%s</text>',
			x0, (SELECT prev_label FROM demo.r_month), x1, (SELECT label FROM demo.r_month));
	-- left nodes
	y := top;
	FOR r IN SELECT f.from_tier AS t, sum(f.persons) AS n,
	                CASE WHEN f.from_tier = 0 THEN 6 ELSE 6 - f.from_tier END AS ord
	         FROM demo.r_flow f GROUP BY 1 ORDER BY 3 LOOP
		lo[r.ord] := y;
		s := s || format('<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/><text x="%s" y="%s" text-anchor="end" class="lbl">%s %s</text>',
			x0 - nw, round(y::numeric, 1), nw, round(greatest(r.n * scale, 1)::numeric, 1),
			coalesce((SELECT color FROM demo.tier_label WHERE tier = r.t), '#9bc99b'),
			x0 - nw - 6, round((y + r.n * scale / 2 + 4)::numeric, 1),
			coalesce((SELECT zh || ' ' || en FROM demo.tier_label WHERE tier = r.t), '新增 new'), demo.num(r.n));
		y := y + r.n * scale + gap;
	END LOOP;
	-- right nodes
	y := top;
	FOR r IN SELECT f.to_tier AS t, sum(f.persons) AS n,
	                CASE WHEN f.to_tier = 0 THEN 6 ELSE 6 - f.to_tier END AS ord
	         FROM demo.r_flow f GROUP BY 1 ORDER BY 3 LOOP
		ro[r.ord] := y;
		s := s || format('<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/><text x="%s" y="%s" class="lbl">%s %s</text>',
			x1, round(y::numeric, 1), nw, round(greatest(r.n * scale, 1)::numeric, 1),
			coalesce((SELECT color FROM demo.tier_label WHERE tier = r.t), '#d98b8b'),
			x1 + nw + 6, round((y + r.n * scale / 2 + 4)::numeric, 1),
			coalesce((SELECT zh || ' ' || en FROM demo.tier_label WHERE tier = r.t), '流失 lost'), demo.num(r.n));
		y := y + r.n * scale + gap;
	END LOOP;
	-- bands
	FOR r IN SELECT f.from_tier, f.to_tier, f.persons,
	                CASE WHEN f.from_tier = 0 THEN 6 ELSE 6 - f.from_tier END AS lord,
	                CASE WHEN f.to_tier = 0 THEN 6 ELSE 6 - f.to_tier END AS rord
	         FROM demo.r_flow f WHERE f.persons > 0 ORDER BY 4, 5 LOOP
		th := r.persons * scale;
		ya := lo[r.lord] + lfill[r.lord];
		lfill[r.lord] := lfill[r.lord] + th;
		yb := ro[r.rord] + rfill[r.rord];
		rfill[r.rord] := rfill[r.rord] + th;
		s := s || format('<path d="M%s,%s C%s,%s %s,%s %s,%s L%s,%s C%s,%s %s,%s %s,%s Z" fill="%s" fill-opacity="0.45"><title>%s → %s: %s</title></path>',
			x0, round(ya::numeric, 1), xm, round(ya::numeric, 1), xm, round(yb::numeric, 1), x1, round(yb::numeric, 1),
			x1, round((yb + th)::numeric, 1), xm, round((yb + th)::numeric, 1), xm, round((ya + th)::numeric, 1),
			x0, round((ya + th)::numeric, 1),
			coalesce((SELECT color FROM demo.tier_label WHERE tier = r.from_tier), '#9bc99b'),
			coalesce((SELECT zh FROM demo.tier_label WHERE tier = r.from_tier), '新增'),
			coalesce((SELECT zh FROM demo.tier_label WHERE tier = r.to_tier), '流失'), demo.num(r.persons));
	END LOOP;
	RETURN s || '</svg>';
END $$;

-- A heat map: one cell per (row, column) with its value; darker is larger.
CREATE FUNCTION demo.svg_heat(rows_ text[], cols text[], vals double precision[], row_title text, col_title text)
RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
	nr int := array_length(rows_, 1); nc int := array_length(cols, 1);
	cw int := 110; ch int := 48; left_ int := 170; top int := 40;
	vmax double precision := 0;
	s text;
	i int; j int; v double precision; a double precision;
BEGIN
	FOR i IN 1 .. nr * nc LOOP vmax := greatest(vmax, coalesce(vals[i], 0)); END LOOP;
	IF vmax <= 0 THEN vmax := 1; END IF;
	s := format('<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="%s" height="%s" viewBox="0 0 %s %s">',
		left_ + nc * cw + 10, top + nr * ch + 30, left_ + nc * cw + 10, top + nr * ch + 30)
		|| format('<text x="%s" y="14" text-anchor="middle" class="lbl">%s</text>', left_ + nc * cw / 2, demo.esc(col_title))
		|| format('<text x="10" y="%s" class="lbl">%s</text>', top + nr * ch + 22, demo.esc(row_title));
	FOR j IN 1 .. nc LOOP
		s := s || format('<text x="%s" y="%s" text-anchor="middle" class="tick">%s</text>', left_ + (j - 0.5) * cw, top - 8, demo.esc(cols[j]));
	END LOOP;
	FOR i IN 1 .. nr LOOP
		s := s || format('<text x="%s" y="%s" text-anchor="end" class="lbl">%s</text>', left_ - 8, top + (i - 0.5) * ch + 4, demo.esc(rows_[i]));
		FOR j IN 1 .. nc LOOP
			v := coalesce(vals[(i - 1) * nc + j], 0);
			a := 0.08 + 0.92 * v / vmax;
			s := s || format('<rect x="%s" y="%s" width="%s" height="%s" fill="#1f5fae" fill-opacity="%s" stroke="#fff"><title>%s / %s: %s</title></rect>',
				left_ + (j - 1) * cw, top + (i - 1) * ch, cw, ch, round(a::numeric, 3),
				demo.esc(rows_[i]), demo.esc(cols[j]), demo.num(v::numeric))
				|| format('<text x="%s" y="%s" text-anchor="middle" class="%s">%s</text>',
				left_ + (j - 0.5) * cw, top + (i - 0.5) * ch + 4, CASE WHEN a > 0.5 THEN 'inv' ELSE 'val' END, demo.num(v::numeric));
		END LOOP;
	END LOOP;
	RETURN s || '</svg>';
END $$;

-- An HTML table from a query returning text columns (the first row of
-- column names comes from the query's own column names).
CREATE FUNCTION demo.html_table(q text) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	s text := '<table>';
	r record;
	j json;
	k text;
	first boolean := true;
BEGIN
	FOR r IN EXECUTE q LOOP
		j := to_json(r);
		IF first THEN
			s := s || '<tr>';
			FOR k IN SELECT key FROM json_each(j) WITH ORDINALITY e(key, value, ord) ORDER BY ord LOOP
				s := s || '<th>' || demo.esc(k) || '</th>';
			END LOOP;
			s := s || '</tr>';
			first := false;
		END IF;
		s := s || '<tr>';
		FOR k IN SELECT CASE WHEN json_typeof(value) = 'number' THEN demo.num((value #>> '{}')::numeric) ELSE coalesce(value #>> '{}', '-') END
		         FROM json_each(j) WITH ORDINALITY e(key, value, ord) ORDER BY ord LOOP
			s := s || '<td>' || demo.esc(k) || '</td>';
		END LOOP;
		s := s || '</tr>';
	END LOOP;
	RETURN s || '</table>';
END $$;

-- One section: a title, a lead sentence, its chart and its table.
CREATE FUNCTION demo.html_section(id text, title text, lead text, chart text, tbl text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN format(E'<section id="%s">\n<h2>%s</h2>\n<p>%s</p>\n<div class="fig">%s</div>\n%s\n</section>\n',
	id, demo.esc(title), demo.esc(lead), chart, coalesce(tbl, ''));

-- A section whose capability is not installed yet: no chart.
CREATE FUNCTION demo.html_skipped(id text, title text, capability text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN format(E'<section id="%s" class="skipped">\n<h2>%s</h2>\n<p>skipped: %s not installed</p>\n</section>\n',
	id, demo.esc(title), demo.esc(capability));

-- Run an optional section's function (created by its step) or say skipped.
CREATE FUNCTION demo.html_optional(fn text, id text, title text, capability text) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	s text;
BEGIN
	IF to_regproc('demo.' || fn) IS NULL THEN
		RETURN demo.html_skipped(id, title, capability);
	END IF;
	EXECUTE format('SELECT demo.%I()', fn) INTO s;
	RETURN s;
END $$;

-- The whole report: a self-contained page, one chart per section.
CREATE FUNCTION demo.html_report() RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	p record;
	mo record;
	h text;
BEGIN
	SELECT * INTO p FROM demo.param;
	SELECT * INTO mo FROM demo.r_month;
	h := E'<!DOCTYPE html>\n<html lang="zh-Hant">\n<head>\n<meta charset="utf-8">\n'
		|| '<title>quanyu 全域 demo report</title>' || E'\n<style>\n'
		|| 'body{font-family:"Noto Sans CJK TC","Noto Sans TC","PingFang TC","Microsoft JhengHei","WenQuanYi Micro Hei","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;margin:24px auto;max-width:960px;color:#222;background:#fff}'
		|| 'h1{font-size:26px;margin-bottom:4px}h2{font-size:19px;border-bottom:2px solid #1f5fae;padding-bottom:4px;margin-top:36px}'
		|| 'p{line-height:1.5}.meta{color:#666}table{border-collapse:collapse;margin:12px 0;font-size:13px}'
		|| 'td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f2f5fa}td:first-child,th:first-child{text-align:left}'
		|| '.fig{overflow-x:auto}svg.chart{font-size:12px;display:block}svg .lbl{font-size:12px;fill:#333}svg .val{font-size:11px;fill:#222}'
		|| 'svg .inv{font-size:11px;fill:#fff}svg .tick{font-size:10px;fill:#666}section.skipped p{color:#a33}'
		|| E'\n</style>\n</head>\n<body>\n'
		|| '<h1>全域經營報告 Full-domain report — Demo Beauty</h1>'
		|| format('<p class="meta">%s persons generated (seed %s), data %s to %s, report month %s. Built by quanyu in PostgreSQL: audiences are roaring bitmaps, every count below is set algebra over them.</p>',
			demo.num(p.persons), p.seed, to_char(p.start_day, 'YYYY-MM-DD'), to_char(p.start_day + p.days - 1, 'YYYY-MM-DD'), mo.label)
		|| E'\n';

	h := h || demo.html_section('identity', '1. 消費者整合識別 Identity merge (OneID)',
		(SELECT format('%s identifiers from store tills, mini-program, official account, WeCom, Channels, marketplaces and ads resolved to %s persons (%s); %s junk or masked values blocked.',
			demo.num(identifiers), demo.num(persons), method, demo.num(blocked)) FROM demo.identity_summary),
		(SELECT demo.svg_hbars(array_agg(id_type ORDER BY identifiers DESC), array_agg(identifiers::float8 ORDER BY identifiers DESC), '', ARRAY['#1f5fae'])
		 FROM demo.r_identity),
		demo.html_table('SELECT method, identifiers, persons, merges, refused AS "refused merges", blocked AS "blocked junk" FROM demo.identity_summary'));

	h := h || demo.html_section('assets', '2. 人群資產 Tier assets by month',
		'Persons at each level of the ladder at the end of each month: 潛客 prospect, 粉絲 follower, 顧客 customer, 熟客 regular, 大使 ambassador.',
		demo.svg_tier_assets(),
		demo.html_table(format('SELECT l.zh || '' '' || l.en AS tier, a.persons AS "%s", b.persons AS "%s", b.persons - a.persons AS change
			FROM demo.r_assets a JOIN demo.r_assets b USING (tier) JOIN demo.tier_label l USING (tier)
			WHERE a.month = %s AND b.month = %s ORDER BY a.tier DESC', mo.prev_label, mo.label, mo.prev, mo.m)));

	h := h || demo.html_section('flow', format('3. 人群流轉 Tier flow %s → %s', mo.prev_label, mo.label),
		'Where last month''s persons are this month: up the ladder, staying, down, or lost; and where new persons land.',
		demo.svg_flow_sankey(),
		demo.html_table('SELECT CASE WHEN from_tier = 0 THEN ''新增 new'' ELSE (SELECT zh || '' '' || en FROM demo.tier_label WHERE tier = from_tier) END AS "from \ to",
			sum(persons) FILTER (WHERE to_tier = 1) AS "潛客", sum(persons) FILTER (WHERE to_tier = 2) AS "粉絲",
			sum(persons) FILTER (WHERE to_tier = 3) AS "顧客", sum(persons) FILTER (WHERE to_tier = 4) AS "熟客",
			sum(persons) FILTER (WHERE to_tier = 5) AS "大使", sum(persons) FILTER (WHERE to_tier = 0) AS "流失 lost",
			sum(persons) AS total FROM demo.r_flow GROUP BY from_tier ORDER BY from_tier = 0, from_tier DESC'));

	h := h || demo.html_section('conversion', '4. 轉化率 Conversion by tier and touchpoint',
		'Share of each audience that buys in the following month, pooled over the last 12 months.',
		(SELECT demo.svg_hbars(array_agg(name ORDER BY kind DESC, ord DESC), array_agg(rate::float8 ORDER BY kind DESC, ord DESC), '%',
			array_agg(CASE WHEN kind = 'tier' THEN (SELECT color FROM demo.tier_label l WHERE l.zh || ' ' || l.en = name) ELSE '#3b8a5a' END ORDER BY kind DESC, ord DESC))
		 FROM demo.r_conversion),
		demo.html_table('SELECT kind, name AS audience, base AS "person-months", converted AS "bought next month", rate AS "rate %"
			FROM demo.r_conversion ORDER BY kind DESC, ord DESC'));

	h := h || demo.html_section('category', '5. 品類滲透率 Category penetration',
		'Share of the last 12 months'' buyers who bought each category.',
		(SELECT demo.svg_hbars(array_agg(category ORDER BY penetration DESC), array_agg(penetration::float8 ORDER BY penetration DESC), '%', ARRAY['#3b8a5a'])
		 FROM demo.r_category),
		demo.html_table('SELECT category, buyers, penetration AS "penetration %", revenue FROM demo.r_category ORDER BY penetration DESC'));

	h := h || demo.html_section('repurchase', '6. 復購 Repurchase rate, revenue per buyer and per order, frequency by channel',
		'Last 12 months: buyers with two or more orders (復購率 repurchase rate), revenue per buyer (客單價), revenue per order (筆單價) and orders per buyer.',
		(SELECT demo.svg_hbars(array_agg(zh || ' ' || channel ORDER BY channel = 'all', revenue DESC), array_agg(repurchase::float8 ORDER BY channel = 'all', revenue DESC), '%', ARRAY['#1f5fae'])
		 FROM demo.r_kpi),
		demo.html_table('SELECT zh || '' '' || channel AS channel, buyers, orders, revenue, per_buyer AS "客單價 per buyer", aov AS "筆單價 per order", frequency AS "orders/buyer", repurchase AS "復購率 %"
			FROM demo.r_kpi ORDER BY channel = ''all'', revenue DESC'));

	h := h || demo.html_optional('section_rfm', 'rfm', '7. RFM 8-class distribution', 'RFM (rfm_agg, rfm_class)');
	h := h || demo.html_optional('section_clv', 'clv', '8. CLV: BG/NBD + Gamma-Gamma', 'CLV (bgnbd_fit, gammagamma_fit)');

	h := h || demo.html_section('private', '9. 有效私域 Effective private domain',
		'The private pool is everyone reachable on the brand''s own channels; the effective part opened, watched, visited, bought or joined in the last 3 months.',
		(SELECT demo.svg_hbars(array_agg(pool ORDER BY ord), array_agg(effective_pct::float8 ORDER BY ord), '% effective', ARRAY['#8fb3de', '#8fb3de', '#8fb3de', '#8fb3de', '#1f5fae'])
		 FROM demo.r_private),
		demo.html_table('SELECT pool, pool_size AS "pool", effective AS "effective (active 3 months)", effective_pct AS "effective %" FROM demo.r_private ORDER BY ord'));

	h := h || demo.html_section('wecom', '10. 企業微信 WeCom-added customers vs the others',
		(SELECT format('Among the last 12 months'' buyers, those a shopping guide added on WeCom spent %sx as much and bought %sx as often.',
			round(max(spend_per_buyer) FILTER (WHERE segment LIKE 'WeCom%') / max(spend_per_buyer) FILTER (WHERE segment LIKE 'not%'), 2),
			round(max(orders_per_buyer) FILTER (WHERE segment LIKE 'WeCom%') / max(orders_per_buyer) FILTER (WHERE segment LIKE 'not%'), 2))
		 FROM demo.r_lift),
		-- the WeCom-added buyers (the group of interest) first, in the strong colour
		(SELECT demo.svg_hbars(array_agg(segment ORDER BY segment NOT LIKE 'WeCom%'), array_agg(spend_per_buyer::float8 ORDER BY segment NOT LIKE 'WeCom%'),
			' yuan/buyer', array_agg(CASE WHEN segment LIKE 'WeCom%' THEN '#1f5fae' ELSE '#c7d2e0' END ORDER BY segment NOT LIKE 'WeCom%'))
		 FROM demo.r_lift),
		demo.html_table('SELECT segment, buyers, spend_per_buyer AS "spend/buyer", orders_per_buyer AS "orders/buyer" FROM demo.r_lift ORDER BY segment NOT LIKE ''WeCom%'''));

	h := h || demo.html_optional('section_holdout', 'holdout', '11. Holdout split for next month''s campaign', 'audience split (audience_split)');
	h := h || demo.html_optional('section_attribution', 'attribution', '12. Attribution by touchpoint and guide', 'measurement (attribution)');
	h := h || demo.html_optional('section_uplift', 'uplift', '13. Campaign uplift against the holdout', 'measurement (holdout_uplift)');
	h := h || demo.html_optional('section_cohort', 'cohort', '14. 同期群價值 Cohort value curves: actual vs forecast', 'cohort curves (cohort_value_curve)');
	h := h || demo.html_optional('section_referral', 'referral', '15. 裂變 Referral: new referees per month, K-factor and generations', 'referral (referral_tree)');

	RETURN h || E'<p class="meta">Generated by test/run_demo.sh; no scripts, no network: charts are inline SVG.</p>\n</body>\n</html>\n';
END $$;
