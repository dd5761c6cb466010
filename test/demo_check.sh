#!/usr/bin/env bash
# The demo's check: run the README's first command's demo at a small scale
# in a database of its own and assert invariants that could fail; print TAP
# ("ok N - ...", "not ok N - ...", plan "1..N"); exit non-zero on failure.
#
#   bash test/demo_check.sh [--no-deps]
#
# With PGHOST and QY_PSQL set (as test/run_tests.sh has them after
# qy_setup), it uses that running cluster; otherwise it sets one up with
# test/lib.sh's qy_setup (--no-deps skips the package check).  The HTML
# check opens the report in headless Chromium; when chromium is missing it
# is installed with apt-get (as root or with sudo), else those tests skip.
# DEMO_CHECK_SCALE (default 0.02 = 4,000 persons) sizes the data.

# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=test/demo/demo.sh
source "$(dirname "${BASH_SOURCE[0]}")/demo/demo.sh"

deps=yes
[ "${1:-}" = --no-deps ] && deps=no
if [ -z "${PGHOST:-}" ] || [ -z "${QY_PSQL:-}" ]; then
	qy_setup "$deps" >&2
else
	QY_BUILD=${QY_BUILD:-$QY_REPO/.build}
fi
cd "$QY_REPO"

db=quanyu_demo_check
out="$QY_BUILD/demo_check"
export SCALE=${DEMO_CHECK_SCALE:-0.02} SEED=${SEED:-42}
n=0
failures=0

# TAP: ok/not ok with a description; the rest of the arguments is the test.
tap() {
	local desc=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		failures=$((failures + 1))
	fi
}
tap_skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

# The single value of a query in the check database.
q() { "$QY_PSQL" -X -A -t -q -v ON_ERROR_STOP=1 -d "$db" -c "$1" 2>&1; }
# True when the query returns t.
q_true() { [ "$(q "$1")" = t ]; }
has_table() { q_true "SELECT to_regclass('$1') IS NOT NULL"; }

echo "1..29"

# 1. The demo runs.
qy_create_db "$db" >&2
demo_ok=yes
demo_run "$db" "$out" >"$out.log" 2>&1 || demo_ok=no
tap "the demo runs at scale $SCALE (log: $out.log)" [ "$demo_ok" = yes ]
[ "$demo_ok" = yes ] || tail -20 "$out.log" | sed 's/^/# /'

# 2. Determinism: the same seed gives the same data in another database.
qy_create_db "${db}_2" >&2
for f in 00_setup 10_generate 11_observe 12_events; do
	"$QY_PSQL" -X -q -v ON_ERROR_STOP=1 -v scale="$SCALE" -v seed="$SEED" -d "${db}_2" \
		-c "SET client_min_messages = warning" -f "test/demo/$f.sql" >/dev/null 2>&1 || true
done
digest="SELECT md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))) FROM (
	SELECT o::text AS t FROM demo.orders o UNION ALL SELECT b::text FROM demo.obs b UNION ALL SELECT e::text FROM demo.event e) x"
d1=$(q "$digest" || true)
d2=$("$QY_PSQL" -X -A -t -q -d "${db}_2" -c "$digest" 2>&1 || true)
tap "the generator is deterministic: the same seed gives identical orders, sightings and events" test -n "$d1" -a "$d1" = "$d2"
"$QY_PSQL" -X -q -d postgres -c "DROP DATABASE IF EXISTS ${db}_2" >/dev/null 2>&1 || true

# 3-4. Identity: one person per identifier; no identifier left on a merged-away id.
tap "every identifier maps to exactly one person (blocked junk to none)" q_true "
	SELECT count(*) > 0 AND count(*) = count(DISTINCT (id_type, id_value))
		AND count(*) FILTER (WHERE person_id IS NULL AND NOT (
			id_value LIKE '%*%' OR id_value ~ '^[0-]+\$' OR id_value IN (
				SELECT value2 FROM demo.obs WHERE type2 = 'phone' GROUP BY 1 HAVING count(DISTINCT true_pid) > 1)
			OR (to_regproc('quanyu.identity_normalize') IS NOT NULL AND quanyu.identity_normalize(id_type, id_value) IS NULL))) = 0
	FROM demo.idmap"
if q_true "SELECT to_regclass('quanyu.identity_identifier') IS NOT NULL AND (SELECT method FROM demo.identity_summary) LIKE 'quanyu%'"; then
	tap "no identifier points to a merged-away person; raw values map to their stored identifier's person" q_true "
		SELECT NOT EXISTS (SELECT 1 FROM quanyu.identity_identifier i JOIN quanyu.identity_merge m ON m.loser = i.person_id)
			AND NOT EXISTS (SELECT 1 FROM demo.idmap d JOIN quanyu.identity_identifier x
				ON x.id_type = d.id_type AND x.id_value = quanyu.identity_normalize(d.id_type, d.id_value)
				WHERE x.person_id IS DISTINCT FROM d.person_id)"
else
	tap_skip "no identifier points to a merged-away person" "identity merge not installed"
fi

# 5. Tiers partition the persons each month.
tap "the five tier audiences are disjoint every month" q_true "
	SELECT bool_and(s = u) FROM (
		SELECT month, sum(cardinality(members)) AS s, cardinality(audience_union_agg(members)) AS u
		FROM demo.tier GROUP BY month) x"

# 6-7. Tier flow rows and columns sum to the tier sizes of both months.
tap "tier flow rows (with lost) sum to last month's tier sizes" q_true "
	SELECT bool_and(coalesce(f.n, 0) = a.persons) AND count(*) = 5
	FROM demo.r_assets a LEFT JOIN (SELECT from_tier, sum(persons) AS n FROM demo.r_flow GROUP BY 1) f ON f.from_tier = a.tier
	WHERE a.month = (SELECT prev FROM demo.r_month)"
tap "tier flow columns (with new) sum to this month's tier sizes" q_true "
	SELECT bool_and(coalesce(f.n, 0) = a.persons) AND count(*) = 5
	FROM demo.r_assets a LEFT JOIN (SELECT to_tier, sum(persons) AS n FROM demo.r_flow GROUP BY 1) f ON f.to_tier = a.tier
	WHERE a.month = (SELECT m FROM demo.r_month)"

# 8. quanyu's tier_flow agrees with the set-algebra matrix.
if has_table demo.r_flow_qy; then
	tap "tier_flow gives the same matrix as the set algebra" q_true "
		SELECT NOT EXISTS (
			(SELECT from_tier, to_tier, persons FROM demo.r_flow WHERE persons > 0 EXCEPT SELECT from_tier, to_tier, persons FROM demo.r_flow_qy)
			UNION ALL
			(SELECT from_tier, to_tier, persons FROM demo.r_flow_qy EXCEPT SELECT from_tier, to_tier, persons FROM demo.r_flow))"
else
	tap_skip "tier_flow gives the same matrix as the set algebra" "tier_flow not installed"
fi

# 9. RFM classes partition the customers.
if has_table demo.rfm_person; then
	tap "the RFM classes partition the customers" q_true "
		SELECT (SELECT count(*) FROM demo.rfm_person) = (SELECT count(DISTINCT person_id) FROM demo.porder)
			AND (SELECT count(DISTINCT person_id) FROM demo.rfm_person) = (SELECT count(*) FROM demo.rfm_person)
			AND (SELECT count(*) FROM demo.rfm_person WHERE class IS NULL) = 0
			AND (SELECT sum(customers) FROM demo.r_rfm) = (SELECT count(*) FROM demo.rfm_person)"
else
	tap_skip "the RFM classes partition the customers" "RFM not installed"
fi

# 10. CLV: a converged fit and a top decile of the right size.
if has_table demo.clv_person; then
	tap "BG/NBD and Gamma-Gamma fits converged; CLV top decile is a tenth of the customers" q_true "
		SELECT (SELECT (bg).converged AND (gg).converged FROM demo.clv_fit)
			AND (SELECT count(*) FROM demo.clv_person WHERE decile = 10) BETWEEN (SELECT count(*) FROM demo.clv_person) / 10 - 1
				AND (SELECT count(*) FROM demo.clv_person) / 10 + 1
			AND (SELECT min(clv) FROM demo.clv_person) >= 0"
else
	tap_skip "BG/NBD and Gamma-Gamma fits converged" "CLV not installed"
fi

# 11. The holdout split is disjoint and covering.
if has_table demo.holdout; then
	tap "the holdout split is disjoint and covers the campaign audience" q_true "
		SELECT cardinality(audience_union_agg(members)) = (SELECT cardinality(members) FROM demo.campaign_target)
			AND sum(cardinality(members)) = (SELECT cardinality(members) FROM demo.campaign_target)
			AND audience_union_agg(members) = (SELECT members FROM demo.campaign_target)
		FROM demo.holdout"
else
	tap_skip "the holdout split is disjoint and covers the campaign audience" "audience split not installed"
fi

# 16. Managed segments: the win_back rule segment is step 70's campaign
# target, and entered/left account for the change of every segment.
if has_table demo.r_segments; then
	tap "the win_back segment of the report month equals the campaign target of step 70" q_true "
		SELECT members = (SELECT members FROM demo.campaign_target) FROM quanyu.segment WHERE name = 'win_back'"
	tap "every segment's size changed by entered minus left in the report month" q_true "
		SELECT bool_and(persons_after - persons_before = entered - \"left\") AND count(*) = 6 FROM demo.r_segments"
else
	tap_skip "the win_back segment of the report month equals the campaign target of step 70" "segments not installed"
	tap_skip "every segment's size changed by entered minus left in the report month" "segments not installed"
fi

# 11b. Attribution: under every model the credits of the orders sum to the
# number of orders of the last 12 months and their GMV to its total.
if has_table demo.r_attr; then
	tap "attribution credits sum to the orders and the GMV of the last 12 months under every model" q_true "
		WITH o AS (SELECT count(*) AS n, sum(amount) AS gmv FROM demo.porder WHERE month > (SELECT m FROM demo.r_month) - 12)
		SELECT bool_and(abs(a.credit - o.n) < 1e-6 * o.n AND abs(a.gmv - o.gmv) < 1e-6 * o.gmv) AND count(*) = 3
		FROM (SELECT model, sum(credit) AS credit, sum(gmv) AS gmv FROM demo.r_attr GROUP BY model) a, o"
else
	tap_skip "attribution credits sum to the orders and the GMV of the last 12 months under every model" "measurement not installed"
fi

# 11c. Uplift: group sizes, conversion and contamination agree with set algebra.
if has_table demo.r_uplift; then
	tap "holdout_uplift sizes, conversion and contamination count agree with the audiences" q_true "
		WITH t AS (SELECT members FROM demo.holdout WHERE grp LIKE 'treatment%'),
		h AS (SELECT members FROM demo.holdout WHERE grp LIKE 'holdout%'),
		b AS (SELECT audience_agg(person_id) AS members FROM demo.campaign_outcome)
		SELECT (SELECT treated = cardinality(t.members) AND holdout = cardinality(h.members) FROM demo.r_uplift WHERE metric = 'persons')
			AND (SELECT abs(treated - cardinality(t.members & b.members)::float8 / cardinality(t.members)) < 1e-12
				AND abs(holdout - cardinality(h.members & b.members)::float8 / cardinality(h.members)) < 1e-12
				FROM demo.r_uplift WHERE metric = 'conversion')
			AND (SELECT holdout = cardinality(h.members & c.members) FROM demo.r_uplift, demo.campaign_contacts c WHERE metric = 'contacted')
		FROM t, h, b"
else
	tap_skip "holdout_uplift sizes, conversion and contamination count agree with the audiences" "measurement not installed"
fi

# 11b-11c. Cohort curves and referral: the numbers add up.
if has_table demo.r_cohort; then
	tap "cohort curves: the cohorts hold every buyer once and their last known cumulative revenue is all revenue of months 0-12" q_true "
		SELECT (SELECT sum(customers) FROM demo.r_cohort WHERE month_offset = 0) = (SELECT count(DISTINCT person_id) FROM demo.cohort_orders)
			AND (SELECT sum(c) FROM (SELECT max(cumulative_revenue) AS c FROM demo.r_cohort GROUP BY cohort) x)
			    = (SELECT sum(o.amount) FROM demo.cohort_orders o
			       JOIN (SELECT person_id, min(day) AS d0 FROM demo.cohort_orders GROUP BY 1) f USING (person_id)
			       WHERE date_trunc('month', o.day) < date_trunc('month', f.d0) + interval '13 months')"
	tap "referral: every accepted edge is one referee with a parent; the forest's persons are the ends of accepted edges" q_true "
		SELECT (SELECT edges FROM demo.r_ref_status WHERE status = 'accepted') = (SELECT count(*) FROM demo.r_ref_tree WHERE parent IS NOT NULL)
			AND (SELECT sum(edges) FROM demo.r_ref_status) = (SELECT count(*) FROM demo.referral)
			AND (SELECT count(*) FROM demo.r_ref_tree WHERE generation = 0) = (SELECT count(*) FROM demo.r_ref_tree WHERE parent IS NULL)
			AND (SELECT sum(new_referees) FROM demo.r_ref_k) = (SELECT count(*) FROM demo.r_ref_tree WHERE parent IS NOT NULL)"
else
	tap_skip "cohort curves: the numbers add up" "cohort curves not installed"
	tap_skip "referral: the forest matches the accepted edges" "referral not installed"
fi

# 12-13. The HTML parses (balanced tags) and has one chart per section.
html="$out/report.html"
tap "the HTML report is well formed (every element closed, in order)" perl -e '
	local $/; my $s = <>; exit 1 unless defined $s && length $s;
	$s =~ s/<!DOCTYPE[^>]*>//i; $s =~ s/<style>.*?<\/style>//s;
	my @st; my %void = map { $_ => 1 } qw(meta br hr img link input);
	while ($s =~ /<(\/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*?)(\/?)>/g) {
		my ($close, $tag, $self) = ($1, lc $2, $4);
		next if $void{$tag} || $self;
		if ($close) { my $top = pop @st; exit 1 unless defined $top && $top eq $tag; }
		else { push @st, $tag; }
	}
	exit(@st ? 1 : 0);' "$html"
tap "the HTML report has 15 sections, one chart in each that ran, none in skipped ones" perl -e '
	local $/; my $s = <>; exit 1 unless defined $s; my @sec = $s =~ /(<section\b.*?<\/section>)/sg;
	exit 1 unless @sec == 15;
	for my $x (@sec) { my $c = () = $x =~ /<svg\b/g; my $sk = $x =~ /class="skipped"/;
		exit 1 unless ($sk ? $c == 0 : $c == 1); }
	exit 0;' "$html"

# 14-17. The text report as a reader sees it.
rep="$out/report.txt"
tap "the text report prints its sections in order (1, 2, 3, 3b, 4 .. 17)" perl -e '
	my @k; while (<>) { next unless /^## (\d+)([a-z]?)\./; push @k, sprintf("%03d%s", $1, $2); }
	exit 1 unless @k >= 8; for my $i (1 .. $#k) { exit 1 unless $k[$i - 1] lt $k[$i]; } exit 0;' "$rep"
tap "no row of dashes in the text report without a header row above it" perl -e '
	my $prev = ""; while (<>) { exit 1 if /^-[-+]*\s*$/ && $prev =~ /^\s*$/; $prev = $_; } exit 0;' "$rep"
tap "no blank cell in the text report's tables (0 and - are printed)" perl -e '
	while (<>) { next unless /\|/; exit 1 if /\|\s*\|/ || /\|\s*$/; } exit 0;' "$rep"
# identity_link's progress NOTICEs come when enough time has passed, so a
# small run may print none: a probe file raises one the way identity_link
# does, and it must reach the terminal (stderr) but not the report.
probe="$out/notice_probe"
rm -rf "$probe" && mkdir -p "$probe/sections" && : >"$probe/report.txt"
cat >"$probe/probe.sql" <<'EOF'
DO $$ BEGIN RAISE NOTICE 'identity_link: read 4096 rows, 7404 distinct identifiers'; END $$;
\echo '   a line of the run log'
EOF
demo_psql_file "$db" "$probe/probe.sql" "$probe" "$probe/sections/01.txt" >/dev/null 2>"$probe/stderr" || true
tap "no progress line whose numbers depend on timing in the text report (identity_link NOTICEs go to the terminal only)" bash -c "
	grep -q 'a line of the run log' '$probe/report.txt' && ! grep -q 'identity_link' '$probe/report.txt' &&
	grep -q 'identity_link: read 4096 rows' '$probe/stderr' && ! grep -qE 'identity_link: |NOTICE' '$rep'"

# 18-19. The generator: followers come and go.
tap "some followers of last month are lost or fell back to prospect (relationships end)" q_true "
	SELECT coalesce(sum(persons) FILTER (WHERE to_tier IN (0, 1)), 0) > 0 FROM demo.r_flow WHERE from_tier = 2"
tap "the private pool counts only relationships still held (follow_held <= follow_ever)" q_true "
	SELECT bool_and(cardinality(h.members) <= cardinality(e.members)) AND bool_or(cardinality(h.members) < cardinality(e.members))
	FROM demo.aud h JOIN demo.aud e ON e.month = h.month AND e.name = replace(h.name, '_held', '_ever')
	WHERE h.name LIKE '%_held'"

# 20-24. The HTML as a reader sees it.
tap "axis ticks of the tier chart are round steps (1, 2 or 5 x 10^k)" perl -e '
	local $/; my $s = <>; my ($sec) = $s =~ /(<section id="assets".*?<\/section>)/s; exit 1 unless $sec;
	my @t = map { s/,//gr } $sec =~ /class="tick">([\d,]+)</g; exit 1 unless @t >= 3;
	my $step = $t[1]; exit 1 unless $step > 0; my $m = $step / 10 ** int(log($step) / log(10) + 1e-9);
	exit 1 unless grep { abs($m - $_) < 1e-9 } (1, 2, 5);
	for my $i (0 .. $#t) { exit 1 unless $t[$i] == $i * $step; } exit 0;' "$html"
tap "hover labels and values are formatted (thousands separators, no .00)" perl -e '
	local $/; my $s = <>; my @x = ($s =~ /<title>([^<]*)<\/title>/g, $s =~ /class="val">([^<]*)</g);
	exit 1 unless @x > 10;
	for (@x) { exit 1 if /\d\.00(?!\d)/ || /(?<![\d,.\-])\d{4,}(?![\d\-])/; } exit 0;' "$html"
tap "bar value labels fit inside their chart (none clipped)" perl -e '
	local $/; my $s = <>; my $ok = 1;
	while ($s =~ /<svg[^>]*\bwidth="(\d+)"(.*?)<\/svg>/sg) { my ($w, $b) = ($1, $2);
		while ($b =~ /<text x="([\d.]+)" y="[\d.]+" class="val">([^<]*)</g) {
			my ($x, $t) = ($1, $2); $t =~ s/&\w+;/x/g; $ok = 0 if $x + 6.5 * length($t) > $w; } }
	exit($ok ? 0 : 1);' "$html"
tap "the WeCom-added group is drawn first in the strong colour, the others in grey" perl -e '
	local $/; my $s = <>; my ($sec) = $s =~ /(<section id="wecom".*?<\/section>)/s; exit 1 unless $sec;
	my @r = $sec =~ /<rect [^>]*fill="(#[0-9a-f]+)"><title>([^<:]*)/g; exit 1 unless @r == 4;
	exit(($r[1] =~ /^WeCom/ && $r[0] eq "#1f5fae" && $r[2] eq "#c7d2e0") ? 0 : 1);' "$html"
tap "zh-Hant page: the font stack starts with a Traditional Chinese font; the CLV histogram has an x-axis unit" perl -e '
	local $/; my $s = <>; exit 1 unless $s =~ /<html lang="zh-Hant">/ && $s =~ /font-family:"[^"]*(TC|Traditional)"/;
	my ($sec) = $s =~ /(<section id="clv".*?<\/section>)/s; exit 0 if !$sec || $sec =~ /class="skipped"/;
	exit($sec =~ /class="lbl">[^<]*\(yuan/ ? 0 : 1);' "$html"

# 25-27. Headless Chromium: no console errors, SVGs in the DOM, not blank.
chromium_ok=yes
if ! command -v chromium >/dev/null 2>&1; then
	if [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null 2>&1; then
		echo "# installing chromium (and a CJK font) with apt-get for the HTML check" >&2
		qy_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			chromium fonts-wqy-microhei >/dev/null 2>&1 || chromium_ok=no
	else
		chromium_ok=no
	fi
fi
command -v chromium >/dev/null 2>&1 || chromium_ok=no
if [ "$chromium_ok" = yes ]; then
	profile=$(mktemp -d)
	chromium_run() {
		timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
			--disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
			--hide-scrollbars --window-size=1280,4000 "$@"
	}
	chromium_run --enable-logging=stderr --v=0 --screenshot="$out/report.png" "file://$html" >/dev/null 2>"$out/chromium.log" || true
	chromium_run --dump-dom "file://$html" >"$out/dom.html" 2>/dev/null || true
	printf '<!DOCTYPE html><html><body></body></html>' >"$out/blank.html"
	chromium_run --screenshot="$out/blank.png" "file://$out/blank.html" >/dev/null 2>&1 || true
	rm -rf "$profile"
	tap "Chromium renders the report without console errors" \
		bash -c "[ -s '$out/report.png' ] && ! grep -E 'CONSOLE|Uncaught|SyntaxError' '$out/chromium.log'"
	tap "the rendered DOM holds every SVG chart of the page" \
		bash -c "[ \$(grep -o '<svg' '$out/dom.html' | wc -l) -ge 1 ] && [ \$(grep -o '<svg' '$out/dom.html' | wc -l) -eq \$(grep -o '<svg' '$html' | wc -l) ]"
	tap "the screenshot is not blank (PNG over 3x a blank page's)" \
		bash -c "[ -s '$out/blank.png' ] && [ \$(stat -c %s '$out/report.png') -gt \$((3 * \$(stat -c %s '$out/blank.png'))) ]"
	echo "# screenshot: $out/report.png"
else
	tap_skip "Chromium renders the report without console errors" "chromium not available"
	tap_skip "the rendered DOM holds every SVG chart of the page" "chromium not available"
	tap_skip "the screenshot is not blank" "chromium not available"
fi

"$QY_PSQL" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
[ "$failures" -eq 0 ]
