# test/demo/demo.sh: run the demo steps against a running cluster (sourced).
#
# Needs $QY_PSQL and PGHOST/PGPORT/PGUSER (test/lib.sh sets them).
#   demo_run DB OUTDIR
# runs every test/demo/NN_*.sql in order in database DB (which must already
# have quanyu on its search_path), prints what each step does and its time,
# then the report's sections in section order (1, 2, 3, 3b ... 13; each
# step's sections are kept in OUTDIR/sections/ until then), tees all of it
# to OUTDIR/report.txt and writes OUTDIR/report.html.
# SCALE (default 1 = 200,000 persons) and SEED (default 42) size the data.
# A step that needs a capability not installed yet is skipped with a line
# "skipped: <capability> not installed".

# The steps: file, what it does, the quanyu functions it needs ("-" = none),
# the capability to name when they are missing, and the file to run instead.
demo_steps() {
	cat <<-'EOF'
		00_setup.sql|schema, parameters, deterministic pseudo-random function|-||
		05_html.sql|HTML report functions (inline SVG charts)|-||
		10_generate.sql|generating persons, calendar and 24 months of orders|-||
		11_observe.sql|generating raw identifier observations per channel|-||
		12_events.sql|generating touchpoint events|-||
		20_identity.sql|identity merge (OneID) of all observations|identity_link identity_person|identity merge|20_identity_truth.sql
		30_audiences.sql|building monthly touchpoint and tier audiences|-||
		40_report.sql|report: tiers, flow, conversion, penetration, repurchase, private domain, WeCom lift|-||
		45_metrics.sql|report: tier_flow_rate, segment_lift and audience_eval, checked against the set algebra|tier_flow_rate segment_lift audience_eval|full-domain metrics|
		50_rfm.sql|report: RFM 8-class distribution|rfm_agg rfm_breaks rfm_score rfm_class rfm_segment|RFM|
		60_clv.sql|report: BG/NBD + Gamma-Gamma CLV|clv_summary_agg bgnbd_fit gammagamma_fit bgnbd_p_alive bgnbd_expected_purchases clv|CLV (BG/NBD, Gamma-Gamma)|
		70_holdout.sql|report: holdout split for next month's campaign|audience_split|audience split|
		80_segments.sql|report: managed segments refreshed for the report month, entered and left|segment_refresh_all segment_changes|segments|
		80_measure.sql|report: touchpoint and guide attribution, campaign uplift against the holdout|attribution holdout_uplift|measurement (attribution, holdout_uplift)|
		80_export.sql|report: consent and the hashed-phone export of the win-back campaign|audience_export consent_withdraw audience_split segment_refresh_all|activation export|
		85_cohort.sql|report: cohort value curves (actual vs forecast), new vs returning revenue, referral trees and K-factor|cohort_value_curve cohort_revenue_mix referral_edges referral_tree referral_k_factor|cohort curves and referral|
	EOF
}

# Seconds since the epoch with milliseconds.
demo_now() { date +%s.%N; }

# Elapsed seconds since $1, one decimal.
demo_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# True when every function named exists in schema quanyu.
demo_has() {
	local db=$1 f
	shift
	for f in "$@"; do
		[ "$("$QY_PSQL" -X -A -t -d "$db" -c "SELECT EXISTS (SELECT 1 FROM pg_proc WHERE proname = '$f' AND pronamespace = 'quanyu'::regnamespace)")" = t ] || return 1
	done
}

# Run one SQL file with the demo's variables.  What a step says about
# itself (the run log) goes to the terminal and the report file as it
# comes; its report sections (from a "## N." line on) go to SECFILE, which
# demo_sections prints in section order once every step has run.  The
# identity merge's progress NOTICEs (their numbers depend on timing) go to
# the terminal's stderr only, never into the report.
demo_psql_file() {
	local db=$1 file=$2 out=$3 secfile=$4
	"$QY_PSQL" -X -q -P null=- -v ON_ERROR_STOP=1 -v scale="${SCALE:-1}" -v seed="${SEED:-42}" -v outdir="$out" -d "$db" \
		-c "SET jit = off" -c "SET client_min_messages = notice" -f "$file" 2>&1 |
		sed -e 's/^psql:[^ ]* NOTICE:  //' |
		awk -v sec="$secfile" -v rep="$out/report.txt" '
			/^identity_link: / { print "   " $0 > "/dev/stderr"; next }
			/^psql:/ { print > "/dev/stderr" }
			/^## [0-9]/ { insec = 1; blank = 0 }
			$0 == "" { blank++; next }
			insec { for (; blank > 0; blank--) print "" >> sec; print >> sec; next }
			{ for (; blank > 0; blank--) { print ""; print "" >> rep } print; print >> rep; fflush() }'
	return "${PIPESTATUS[0]}"
}

# The report sections of every step, ordered by their numbers (1, 2, 3,
# 3b, 4 ... 11): each "## N[x]." line starts a section that runs to the
# next one; a blank line separates them.
demo_sections() {
	cat "$@" 2>/dev/null | awk '
		/^## [0-9]+[a-z]*\./ {
			match($0, /^## [0-9]+/)
			num = substr($0, 4, RLENGTH - 3) + 0
			rest = substr($0, RLENGTH + 1)
			key = sprintf("%03d%s", num, substr(rest, 1, index(rest, ".") - 1))
		}
		key != "" { printf "%s\t%08d\t%s\n", key, NR, $0 }' |
		LC_ALL=C sort -t "$(printf '\t')" -k1,1 -k2,2n | cut -f3- |
		awk '/^## [0-9]/ { print "" } { print }'
}

demo_run() {
	local db=$1 out=$2 dir start t0 n=0 total line file what needs cap alt secfile
	dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	rm -rf "$out/sections"
	mkdir -p "$out/sections"
	: >"$out/report.txt"
	total=$(($(demo_steps | wc -l) + 1))
	start=$(demo_now)
	printf '== quanyu demo: scale %s (%s persons), seed %s, database %s\n' \
		"${SCALE:-1}" "$(awk -v s="${SCALE:-1}" 'BEGIN { n = int(200000 * s + 0.5); if (n < 1000) n = 1000; print n }')" \
		"${SEED:-42}" "$db" | tee -a "$out/report.txt"
	while IFS='|' read -r file what needs cap alt; do
		n=$((n + 1))
		file=$(echo "$file" | tr -d '[:space:]')
		if [ "$needs" != - ]; then
			# shellcheck disable=SC2086
			if ! demo_has "$db" $needs; then
				printf '== [%d/%d] skipped: %s not installed (needs %s)\n' "$n" "$total" "$cap" "$needs" | tee -a "$out/report.txt"
				[ -n "$alt" ] || continue
				file=$alt
				what="$what: fallback $alt"
			fi
		fi
		printf '== [%d/%d] %s\n' "$n" "$total" "$what" | tee -a "$out/report.txt"
		t0=$(demo_now)
		secfile=$(printf '%s/sections/%02d.txt' "$out" "$n")
		demo_psql_file "$db" "$dir/$file" "$out" "$secfile" || {
			[ -s "$secfile" ] && tail -20 "$secfile" >&2
			echo "error: demo step $file failed" >&2
			return 1
		}
		printf '   done in %s s\n' "$(demo_since "$t0")" | tee -a "$out/report.txt"
	done < <(demo_steps)
	n=$((n + 1))
	printf '== [%d/%d] writing the HTML report\n' "$n" "$total" | tee -a "$out/report.txt"
	t0=$(demo_now)
	"$QY_PSQL" -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" -c "SET jit = off" \
		-c "SELECT demo.html_report()" -o "$out/report.html" || { echo "error: the HTML report failed" >&2; return 1; }
	printf '   done in %s s\n' "$(demo_since "$t0")" | tee -a "$out/report.txt"
	printf '\n== the report, section by section\n' | tee -a "$out/report.txt"
	demo_sections "$out"/sections/*.txt | tee -a "$out/report.txt"
	printf '\n== demo finished in %s s\n' "$(demo_since "$start")" | tee -a "$out/report.txt"
	printf '== text report: %s\n== HTML report: %s\n' "$out/report.txt" "$out/report.html"
}
