-- src/segment/segment.sql: named segments and tags, their snapshots, and
-- erasure of a person (doc/activation.md).
--
-- Every function here is PL/pgSQL with search_path pinned to
-- pg_catalog, quanyu, pg_temp and runs as its caller (none is SECURITY
-- DEFINER).  The SQL of a query segment runs as the segment's owner, who is
-- always the role that last wrote that SQL (a trigger sets it), under the
-- search_path it was defined with.

-- Tables ----------------------------------------------------------------------

CREATE TABLE segment (
	name text COLLATE "C" PRIMARY KEY
		CHECK (name OPERATOR(pg_catalog.<>) '' AND pg_catalog.octet_length(name) OPERATOR(pg_catalog.<=) 200),
	kind text COLLATE "C" NOT NULL CHECK (kind IN ('rule', 'query', 'imported')),
	definition text,
	query_search_path text,
	owner text COLLATE "C" NOT NULL DEFAULT CURRENT_USER,
	description text,
	refresh_policy text COLLATE "C" NOT NULL DEFAULT 'auto' CHECK (refresh_policy IN ('auto', 'manual')),
	full_every integer NOT NULL DEFAULT 30 CHECK (full_every BETWEEN 1 AND 1000),
	version integer NOT NULL DEFAULT 1,
	members audience NOT NULL DEFAULT '{}',
	defined_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	refreshed_at timestamptz,
	CHECK ((kind OPERATOR(pg_catalog.=) 'imported') OPERATOR(pg_catalog.=) (definition IS NULL))
);
COMMENT ON TABLE segment IS 'named segments and tags: kind (rule expression, query, imported), owner, refresh policy, version and current members';

CREATE TABLE segment_snapshot (
	segment text COLLATE "C" NOT NULL REFERENCES segment (name) ON UPDATE CASCADE ON DELETE CASCADE,
	taken_at timestamptz NOT NULL,
	version integer NOT NULL,
	cardinality bigint NOT NULL,
	full_members audience,
	entered audience NOT NULL,
	exited audience NOT NULL,
	PRIMARY KEY (segment, taken_at)
);
COMMENT ON TABLE segment_snapshot IS 'one row per refresh of a segment: who entered and exited since the previous refresh, and every full_every-th row the full members';

CREATE TABLE erasure_column (
	schema_name text COLLATE "C" NOT NULL,
	table_name text COLLATE "C" NOT NULL,
	column_name text COLLATE "C" NOT NULL,
	registered_by text COLLATE "C" NOT NULL DEFAULT CURRENT_USER,
	registered_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (schema_name, table_name, column_name)
);
COMMENT ON TABLE erasure_column IS 'audience columns of user tables that identity_forget removes erased persons from';

CREATE TABLE erasure_log (
	erased_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	erased_by text COLLATE "C" NOT NULL DEFAULT CURRENT_USER,
	persons_requested integer NOT NULL,
	person_ids_erased integer NOT NULL,
	removed jsonb NOT NULL
);
COMMENT ON TABLE erasure_log IS 'audit of identity_forget: when, by whom, how many persons and how many values were removed from where (no person ids, no identifiers)';

SELECT pg_catalog.pg_extension_config_dump('segment', '');
SELECT pg_catalog.pg_extension_config_dump('segment_snapshot', '');
SELECT pg_catalog.pg_extension_config_dump('erasure_column', '');
SELECT pg_catalog.pg_extension_config_dump('erasure_log', '');

-- The SQL of a query segment belongs to whoever wrote it: a new row, or a
-- change of its kind, definition or search_path, makes the writer the owner.
-- So a refresh never runs SQL as a role that did not write it.
CREATE FUNCTION segment_owner_guard() RETURNS trigger
	LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, quanyu, pg_temp
	AS $$
BEGIN
	IF TG_OP = 'INSERT' OR NEW.kind IS DISTINCT FROM OLD.kind
		OR NEW.definition IS DISTINCT FROM OLD.definition
		OR NEW.query_search_path IS DISTINCT FROM OLD.query_search_path
		OR NEW.owner IS DISTINCT FROM OLD.owner THEN
		NEW.owner := current_user;
	END IF;
	RETURN NEW;
END $$;
COMMENT ON FUNCTION segment_owner_guard() IS 'trigger on segment: the role that writes a segment''s definition becomes its owner';
CREATE TRIGGER segment_owner_guard BEFORE INSERT OR UPDATE ON segment
	FOR EACH ROW EXECUTE FUNCTION quanyu.segment_owner_guard();

-- Dependencies ----------------------------------------------------------------

CREATE FUNCTION audience_eval_names(expr text) RETURNS text[]
	AS 'MODULE_PATHNAME', 'audience_eval_names' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION audience_eval_names(text) IS 'the distinct audience names a segment expression uses, sorted, after the parse of audience_eval';

-- Every reference chain from the targets through rule segments: one row
-- per path, flagged when it closes a cycle (depth stops at 100).
CREATE FUNCTION segment_walk(targets text[])
	RETURNS TABLE (node text, depth integer, path text[], cyc boolean)
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, quanyu, pg_temp
	AS $$
	WITH RECURSIVE edge AS (
		SELECT s.name::text AS seg, d.dep
		FROM quanyu.segment s, unnest(quanyu.audience_eval_names(s.definition)) AS d (dep)
		WHERE s.kind = 'rule'
	), walk (node, depth, path, cyc) AS (
		SELECT t, 0, ARRAY[t], false FROM unnest(targets) t
		UNION ALL
		SELECT e.dep, w.depth + 1, w.path || e.dep, e.dep = ANY (w.path)
		FROM walk w JOIN edge e ON e.seg = w.node
		WHERE NOT w.cyc AND w.depth < 100
	)
	SELECT * FROM walk
	$$;
COMMENT ON FUNCTION segment_walk(text[]) IS 'every chain of references from the target segments through rule segments, flagged when it closes a cycle';

-- The segments to refresh for the targets, dependencies first.  Raises an
-- error for an unknown segment or reference and for a cycle.
CREATE FUNCTION segment_order(targets text[])
	RETURNS TABLE (name text, kind text, refresh_policy text, depth integer)
	LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, quanyu, pg_temp
	AS $$
DECLARE
	bad text;
	path text[];
	deepest integer;
BEGIN
	SELECT t INTO bad FROM unnest(targets) t
	WHERE NOT EXISTS (SELECT 1 FROM quanyu.segment s WHERE s.name = t) LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'segment "%" does not exist', bad
			USING ERRCODE = 'undefined_object', HINT = 'Define it with segment_define or segment_import.';
	END IF;
	SELECT w.path INTO path FROM quanyu.segment_walk(targets) w WHERE w.cyc ORDER BY w.depth, w.path LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'segment "%" depends on itself', path[array_upper(path, 1)]
			USING ERRCODE = 'invalid_recursion',
				DETAIL = format('The rule segments form a cycle: %s.', array_to_string(path, ' -> ')),
				HINT = 'Redefine one of these segments so that it no longer refers to the others.';
	END IF;
	SELECT max(w.depth) INTO deepest FROM quanyu.segment_walk(targets) w;
	IF deepest >= 100 THEN
		RAISE EXCEPTION 'segment references are nested more than 100 levels deep'
			USING ERRCODE = 'program_limit_exceeded';
	END IF;
	SELECT w.node, w.path INTO bad, path FROM quanyu.segment_walk(targets) w
	WHERE NOT EXISTS (SELECT 1 FROM quanyu.segment s WHERE s.name = w.node) ORDER BY w.depth, w.node LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'segment "%" refers to unknown segment "%"', path[array_upper(path, 1) - 1], bad
			USING ERRCODE = 'undefined_object',
				HINT = 'Define the missing segment, or redefine the rule without it.';
	END IF;
	RETURN QUERY
		SELECT w.node, s.kind::text, s.refresh_policy::text, max(w.depth)::integer
		FROM quanyu.segment_walk(targets) w JOIN quanyu.segment s ON s.name = w.node
		GROUP BY w.node, s.kind, s.refresh_policy
		ORDER BY max(w.depth) DESC, w.node;
END $$;
COMMENT ON FUNCTION segment_order(text[]) IS 'the segments that refreshing the targets involves, dependencies first (depth = longest reference chain from a target); errors on unknown segments and cycles';

-- Definition ------------------------------------------------------------------

CREATE FUNCTION segment_define(name text, kind text, definition text, description text DEFAULT NULL,
	refresh_policy text DEFAULT 'auto', full_every integer DEFAULT 30)
	RETURNS integer
	LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, quanyu, pg_temp
	AS $$
DECLARE
	seg_name ALIAS FOR $1;
	seg_kind ALIAS FOR $2;
	seg_def ALIAS FOR $3;
	old quanyu.segment;
	caller_path text := nullif(current_setting('quanyu_segment.caller_search_path', true), '');
	v integer;
BEGIN
	PERFORM set_config('quanyu_segment.caller_search_path', '', true);	-- used once
	IF seg_name IS NULL OR seg_kind IS NULL THEN
		RAISE EXCEPTION 'segment name and kind must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF seg_kind NOT IN ('rule', 'query', 'imported') THEN
		RAISE EXCEPTION 'invalid segment kind "%"', seg_kind
			USING ERRCODE = 'invalid_parameter_value', DETAIL = 'A segment''s kind is rule, query or imported.';
	END IF;
	IF (seg_kind = 'imported') <> (seg_def IS NULL) THEN
		RAISE EXCEPTION 'segment "%" of kind % %', seg_name, seg_kind,
			CASE WHEN seg_def IS NULL THEN 'needs a definition' ELSE 'takes no definition' END
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = 'A rule segment is defined by an expression over other segments, a query segment by SQL returning person ids, an imported segment by segment_import.';
	END IF;
	IF seg_kind = 'rule' THEN
		PERFORM quanyu.audience_eval_names(seg_def);	-- syntax errors now, not at refresh
	END IF;
	SELECT * INTO old FROM quanyu.segment s WHERE s.name = seg_name FOR UPDATE;
	IF NOT FOUND THEN
		INSERT INTO quanyu.segment (name, kind, definition, query_search_path, description, refresh_policy, full_every)
		VALUES (seg_name, seg_kind, seg_def, NULL, $4, coalesce($5, 'auto'), coalesce($6, 30));
		v := 1;
	ELSE
		IF old.kind <> seg_kind AND EXISTS (SELECT 1 FROM quanyu.segment_snapshot x WHERE x.segment = seg_name) THEN
			RAISE EXCEPTION 'segment "%" is of kind %, not %', seg_name, old.kind, seg_kind
				USING ERRCODE = 'wrong_object_type', HINT = 'Drop it with segment_drop first, or choose another name.';
		END IF;
		v := old.version + CASE WHEN old.definition IS DISTINCT FROM seg_def OR old.kind <> seg_kind THEN 1 ELSE 0 END;
		-- Whoever defines a segment owns it from now on (a query's SQL
		-- then runs as them).
		UPDATE quanyu.segment s SET kind = seg_kind, definition = seg_def, owner = CURRENT_USER,
			description = coalesce($4, s.description), refresh_policy = coalesce($5, s.refresh_policy),
			full_every = coalesce($6, s.full_every), version = v
		WHERE s.name = seg_name;
	END IF;
	IF seg_kind = 'rule' THEN
		PERFORM 1 FROM quanyu.segment_order(ARRAY[seg_name]);	-- unknown references, cycles
	ELSIF seg_kind = 'query' THEN
		-- The search_path the caller had (segment_define_query passes it);
		-- the query is checked now, as its owner, without reading rows.
		UPDATE quanyu.segment s SET query_search_path = coalesce(caller_path, '"$user", public')
		WHERE s.name = seg_name;
		PERFORM quanyu.segment_query_members(seg_name, NULL, true);
	END IF;
	RETURN v;
END $$;
COMMENT ON FUNCTION segment_define(text, text, text, text, text, integer) IS 'create or redefine a rule, query or imported segment; returns its version (raised when the definition changes)';

-- Run SQL returning person ids as a role, in a security-restricted
-- operation (no SET ROLE, no temp tables), under a search_path, $1 = as_of.
CREATE FUNCTION segment_query_run(query text, owner text, search_path text, as_of timestamptz,
	check_only boolean)
	RETURNS audience
	AS 'MODULE_PATHNAME', 'segment_query_run' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION segment_query_run(text, text, text, timestamptz, boolean) IS 'the audience of the person ids a query returns, run as the given role (the current role must be a member of it) in a security-restricted operation under the given search_path, with $1 = as_of';

-- The members a query segment's SQL returns, run as the segment's owner
-- under its search_path, with $1 = the as-of time; check_only plans and runs
-- it with no rows.
CREATE FUNCTION segment_query_members(name text, as_of timestamptz, check_only boolean DEFAULT false)
	RETURNS audience
	LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, quanyu, pg_temp
	AS $$
DECLARE
	s quanyu.segment;
BEGIN
	SELECT * INTO s FROM quanyu.segment x WHERE x.name = $1;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'segment "%" does not exist', $1 USING ERRCODE = 'undefined_object';
	END IF;
	IF s.kind <> 'query' THEN
		RAISE EXCEPTION 'segment "%" is of kind %, not query', $1, s.kind USING ERRCODE = 'wrong_object_type';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = s.owner)
		OR NOT pg_catalog.pg_has_role(current_user, s.owner, 'MEMBER') THEN
		RAISE EXCEPTION 'permission denied to refresh segment "%"', $1
			USING ERRCODE = 'insufficient_privilege',
				DETAIL = format('The SQL of a query segment runs as its owner, role "%s", and the current role is not a member of it.', s.owner),
				HINT = 'Let the owner refresh it, or redefine it with segment_define_query to own its SQL.';
	END IF;
	RETURN quanyu.segment_query_run(s.definition, s.owner, coalesce(s.query_search_path, '"$user", public'),
		as_of, coalesce(check_only, false));
END $$;
COMMENT ON FUNCTION segment_query_members(text, timestamptz, boolean) IS 'run a query segment''s SQL (as its owner, in a security-restricted operation, under its search_path, $1 = as_of) and return the audience of the person ids in its first column';

-- segment_define for a query segment, keeping the caller's search_path for
-- its SQL (a pinned function cannot see it, so this one is not pinned and
-- names everything with its schema).
CREATE FUNCTION segment_define_query(name text, query text, description text DEFAULT NULL,
	refresh_policy text DEFAULT 'auto', full_every integer DEFAULT 30)
	RETURNS integer
	LANGUAGE sql VOLATILE PARALLEL UNSAFE
	AS $$
	SELECT pg_catalog.set_config('quanyu_segment.caller_search_path', pg_catalog.current_setting('search_path'), true);
	SELECT quanyu.segment_define($1, 'query', $2, $3, $4, $5);
	$$;
COMMENT ON FUNCTION segment_define_query(text, text, text, text, integer) IS 'create or redefine a query segment: SQL whose first column is person ids, run as the segment''s owner under the caller''s current search_path; $1 in it is the as-of time';

CREATE FUNCTION segment_drop(name text) RETURNS boolean
	LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
	SET search_path = pg_catalog, quanyu, pg_temp
	AS $$
DECLARE
	user_name text;
BEGIN
	SELECT s.name INTO user_name FROM quanyu.segment s
	WHERE s.kind = 'rule' AND s.name <> $1 AND $1 = ANY (quanyu.audience_eval_names(s.definition))
	ORDER BY s.name LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'cannot drop segment "%" because segment "%" refers to it', $1, user_name
			USING ERRCODE = 'dependent_objects_still_exist';
	END IF;
	DELETE FROM quanyu.segment s WHERE s.name = $1;
	RETURN FOUND;
END $$;
COMMENT ON FUNCTION segment_drop(text) IS 'drop a segment and its snapshots; false when it did not exist, an error when a rule segment refers to it';

-- Refresh ---------------------------------------------------------------------

-- Record the new members of one segment: a snapshot row with who entered
-- and exited since the previous one, full members every full_every rows.
CREATE FUNCTION segment_store(name text, members audience, as_of timestamptz,
	OUT cardinality bigint, OUT entered bigint, OUT "left" bigint, OUT full_snapshot boolean)
	LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, quanyu, pg_temp
	AS $$
DECLARE
	s quanyu.segment;
	last_at timestamptz;
	since_full integer;
	e quanyu.audience;
	x quanyu.audience;
BEGIN
	IF $1 IS NULL OR $2 IS NULL OR $3 IS NULL THEN
		RAISE EXCEPTION 'segment_store arguments must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	SELECT * INTO s FROM quanyu.segment z WHERE z.name = $1 FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'segment "%" does not exist', $1 USING ERRCODE = 'undefined_object';
	END IF;
	SELECT max(n.taken_at) INTO last_at FROM quanyu.segment_snapshot n WHERE n.segment = $1;
	IF last_at >= as_of THEN
		RAISE EXCEPTION 'segment "%" already has a snapshot at %', $1, last_at
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = format('A refresh as of %s would go back in time.', as_of),
				HINT = 'Snapshots are taken in time order: refresh as of a later time.';
	END IF;
	SELECT count(*) INTO since_full FROM quanyu.segment_snapshot n
	WHERE n.segment = $1 AND n.taken_at >= coalesce((SELECT max(f.taken_at) FROM quanyu.segment_snapshot f
		WHERE f.segment = $1 AND f.full_members IS NOT NULL), '-infinity');
	IF last_at IS NULL THEN
		e := $2;
		x := '{}';
	ELSE
		e := $2 OPERATOR(quanyu.-) s.members;
		x := s.members OPERATOR(quanyu.-) $2;
	END IF;
	full_snapshot := last_at IS NULL OR since_full >= s.full_every;
	INSERT INTO quanyu.segment_snapshot (segment, taken_at, version, cardinality, full_members, entered, exited)
	VALUES ($1, as_of, s.version, quanyu.audience_cardinality($2),
		CASE WHEN full_snapshot THEN $2 END, e, x);
	UPDATE quanyu.segment z SET members = $2, refreshed_at = as_of WHERE z.name = $1;
	cardinality := quanyu.audience_cardinality($2);
	entered := quanyu.audience_cardinality(e);
	"left" := quanyu.audience_cardinality(x);
END $$;
COMMENT ON FUNCTION segment_store(text, audience, timestamptz) IS 'set a segment''s members as of a time and keep a snapshot (entered and exited since the previous one; full members every full_every snapshots)';

-- Refresh one segment from the current members of what it refers to.
CREATE FUNCTION segment_refresh_one(name text, as_of timestamptz DEFAULT NULL,
	OUT cardinality bigint, OUT entered bigint, OUT "left" bigint, OUT full_snapshot boolean)
	LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, quanyu, pg_temp
	AS $$
DECLARE
	s quanyu.segment;
	t timestamptz := coalesce($2, clock_timestamp());
	m quanyu.audience;
BEGIN
	SELECT * INTO s FROM quanyu.segment z WHERE z.name = $1;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'segment "%" does not exist', $1
			USING ERRCODE = 'undefined_object', HINT = 'Define it with segment_define or segment_import.';
	END IF;
	IF s.kind = 'rule' THEN
		m := quanyu.audience_eval(s.definition, 'quanyu.segment'::regclass);
	ELSIF s.kind = 'query' THEN
		m := quanyu.segment_query_members(s.name, t);
	ELSE
		m := s.members;		-- imported: its members as last loaded
	END IF;
	SELECT * INTO cardinality, entered, "left", full_snapshot FROM quanyu.segment_store(s.name, m, t);
END $$;
COMMENT ON FUNCTION segment_refresh_one(text, timestamptz) IS 'recompute one segment from the current members of the segments it refers to, without refreshing them, and keep a snapshot';

-- Refresh the targets and their automatic dependencies, dependencies first.
-- With keep_going, one segment's failure rolls back that segment only (and
-- its dependents are skipped); otherwise it is an error.
CREATE FUNCTION segment_refresh_list(targets text[], as_of timestamptz, keep_going boolean)
	RETURNS TABLE (segment text, kind text, status text, cardinality bigint, entered bigint, "left" bigint)
	LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, quanyu, pg_temp
	AS $$
DECLARE
	t timestamptz := coalesce(as_of, clock_timestamp());
	o record;
	r record;
	failed text[] := '{}';
	n integer;
	i integer := 0;
	msg text;
BEGIN
	SELECT count(*) INTO n FROM quanyu.segment_order(targets) o2
	WHERE o2.name = ANY (targets) OR o2.refresh_policy = 'auto';
	FOR o IN SELECT o2.name, o2.kind FROM quanyu.segment_order(targets) o2
		WHERE o2.name = ANY (targets) OR o2.refresh_policy = 'auto'
		ORDER BY o2.depth DESC, o2.name LOOP
		i := i + 1;
		segment := o.name;
		kind := o.kind;
		cardinality := NULL;
		entered := NULL;
		"left" := NULL;
		IF EXISTS (SELECT 1 FROM quanyu.segment z, unnest(quanyu.audience_eval_names(z.definition)) d (dep)
				WHERE z.name = o.name AND z.kind = 'rule' AND d.dep = ANY (failed)) THEN
			status := 'skipped';
			failed := failed || o.name;
			RAISE NOTICE 'segment_refresh: % (%/%) skipped: a segment it refers to failed', o.name, i, n;
			RETURN NEXT;
			CONTINUE;
		END IF;
		IF keep_going THEN
			BEGIN
				SELECT * INTO r FROM quanyu.segment_refresh_one(o.name, t);
				status := 'refreshed';
			EXCEPTION WHEN OTHERS THEN
				GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
				status := 'failed';
				failed := failed || o.name;
				RAISE WARNING 'segment_refresh: % (%/%) failed: %', o.name, i, n, msg;
				RETURN NEXT;
				CONTINUE;
			END;
		ELSE
			SELECT * INTO r FROM quanyu.segment_refresh_one(o.name, t);
			status := 'refreshed';
		END IF;
		cardinality := r.cardinality;
		entered := r.entered;
		"left" := r."left";
		RAISE NOTICE 'segment_refresh: % (%/%): % persons, % entered, % left', o.name, i, n,
			r.cardinality, r.entered, r."left";
		RETURN NEXT;
	END LOOP;
END $$;
COMMENT ON FUNCTION segment_refresh_list(text[], timestamptz, boolean) IS 'refresh the named segments and the automatic segments they refer to, dependencies first, with a NOTICE per segment';

CREATE FUNCTION segment_refresh(name text, as_of timestamptz DEFAULT NULL)
	RETURNS TABLE (segment text, kind text, status text, cardinality bigint, entered bigint, "left" bigint)
	LANGUAGE sql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, quanyu, pg_temp
	AS $$ SELECT * FROM quanyu.segment_refresh_list(ARRAY[$1], $2, false) $$;
COMMENT ON FUNCTION segment_refresh(text, timestamptz) IS 'refresh a segment and the automatic segments it refers to, dependencies first, all as of one time (default now); an error in any of them is an error';

CREATE FUNCTION segment_refresh_all(as_of timestamptz DEFAULT NULL)
	RETURNS TABLE (segment text, kind text, status text, cardinality bigint, entered bigint, "left" bigint)
	LANGUAGE sql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, quanyu, pg_temp
	AS $$ SELECT * FROM quanyu.segment_refresh_list(
		ARRAY(SELECT s.name::text FROM quanyu.segment s WHERE s.refresh_policy = 'auto' ORDER BY s.name), $1, true) $$;
COMMENT ON FUNCTION segment_refresh_all(timestamptz) IS 'refresh every segment whose refresh_policy is auto, dependencies first, each atomically: a failing segment is rolled back with a WARNING and its dependents skipped';

CREATE FUNCTION segment_import(name text, members audience, description text DEFAULT NULL,
	as_of timestamptz DEFAULT NULL,
	OUT cardinality bigint, OUT entered bigint, OUT "left" bigint, OUT full_snapshot boolean)
	LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, quanyu, pg_temp
	AS $$
BEGIN
	IF $1 IS NULL OR $2 IS NULL THEN
		RAISE EXCEPTION 'segment name and members must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF EXISTS (SELECT 1 FROM quanyu.segment s WHERE s.name = $1 AND s.kind <> 'imported') THEN
		RAISE EXCEPTION 'segment "%" is not an imported segment', $1
			USING ERRCODE = 'wrong_object_type', HINT = 'Only imported segments are loaded with segment_import.';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM quanyu.segment s WHERE s.name = $1) THEN
		PERFORM quanyu.segment_define($1, 'imported', NULL, $3, 'manual');
	ELSIF $3 IS NOT NULL THEN
		UPDATE quanyu.segment s SET description = $3 WHERE s.name = $1;
	END IF;
	SELECT * INTO cardinality, entered, "left", full_snapshot
	FROM quanyu.segment_store($1, $2, coalesce($4, clock_timestamp()));
END $$;
COMMENT ON FUNCTION segment_import(text, audience, text, timestamptz) IS 'load the members of an imported segment (created when new) and keep a snapshot';

-- Snapshots -------------------------------------------------------------------

CREATE FUNCTION segment_at(name text, at timestamptz) RETURNS audience
	LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, quanyu, pg_temp
	AS $$
DECLARE
	target timestamptz;
	base timestamptz;
	m quanyu.audience;
	r record;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM quanyu.segment s WHERE s.name = $1) THEN
		RAISE EXCEPTION 'segment "%" does not exist', $1 USING ERRCODE = 'undefined_object';
	END IF;
	SELECT max(n.taken_at) INTO target FROM quanyu.segment_snapshot n WHERE n.segment = $1 AND n.taken_at <= $2;
	IF target IS NULL THEN
		RETURN NULL;	-- not refreshed yet at that time
	END IF;
	SELECT n.taken_at, n.full_members INTO base, m FROM quanyu.segment_snapshot n
	WHERE n.segment = $1 AND n.taken_at <= target AND n.full_members IS NOT NULL
	ORDER BY n.taken_at DESC LIMIT 1;
	IF base IS NULL THEN
		RAISE EXCEPTION 'segment "%" has no full snapshot at or before %', $1, target
			USING ERRCODE = 'data_corrupted', DETAIL = 'The first snapshot of a segment holds its full members.';
	END IF;
	FOR r IN SELECT n.entered, n.exited FROM quanyu.segment_snapshot n
		WHERE n.segment = $1 AND n.taken_at > base AND n.taken_at <= target ORDER BY n.taken_at LOOP
		m := (m OPERATOR(quanyu.-) r.exited) OPERATOR(quanyu.|) r.entered;
	END LOOP;
	RETURN m;
END $$;
COMMENT ON FUNCTION segment_at(text, timestamptz) IS 'the members of a segment as of its last refresh at or before a time (NULL before its first refresh)';

CREATE FUNCTION segment_changes(name text, from_time timestamptz, to_time timestamptz,
	OUT entered audience, OUT "left" audience)
	LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, quanyu, pg_temp
	AS $$
DECLARE
	a quanyu.audience;
	b quanyu.audience;
BEGIN
	IF from_time > to_time THEN
		RAISE EXCEPTION 'segment_changes: from_time % is after to_time %', from_time, to_time
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	a := coalesce(quanyu.segment_at($1, from_time), '{}');
	b := coalesce(quanyu.segment_at($1, to_time), '{}');
	entered := b OPERATOR(quanyu.-) a;
	"left" := a OPERATOR(quanyu.-) b;
END $$;
COMMENT ON FUNCTION segment_changes(text, timestamptz, timestamptz) IS 'who entered and who left a segment between two times (its members as of each, from segment_at; empty before the first refresh)';

CREATE VIEW segment_storage AS
SELECT n.segment, pg_catalog.count(*) AS snapshots,
	pg_catalog.count(n.full_members) AS full_snapshots,
	pg_catalog.sum(COALESCE(pg_catalog.pg_column_size(n.full_members), 0)
		OPERATOR(pg_catalog.+) pg_catalog.pg_column_size(n.entered)
		OPERATOR(pg_catalog.+) pg_catalog.pg_column_size(n.exited))::pg_catalog.int8 AS stored_bytes,
	(SELECT pg_catalog.pg_column_size(s.members) FROM quanyu.segment s
	 WHERE s.name OPERATOR(pg_catalog.=) n.segment)::pg_catalog.int8 AS current_bytes
FROM quanyu.segment_snapshot n
GROUP BY n.segment;
COMMENT ON VIEW segment_storage IS 'snapshots per segment and the bytes they store, beside the bytes of one full copy of the current members';

-- Erasure ---------------------------------------------------------------------

CREATE FUNCTION erasure_register(relation regclass, column_name text) RETURNS boolean
	LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
	SET search_path = pg_catalog, quanyu, pg_temp
	AS $$
DECLARE
	nsp text;
	rel text;
	typ oid;
BEGIN
	SELECT n.nspname, c.relname INTO nsp, rel
	FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	WHERE c.oid = $1 AND c.relkind IN ('r', 'p', 'f');
	IF NOT FOUND THEN
		RAISE EXCEPTION 'relation % is not a table', $1
			USING ERRCODE = 'wrong_object_type', DETAIL = 'Only tables, partitioned tables and foreign tables can be registered.';
	END IF;
	SELECT a.atttypid INTO typ FROM pg_catalog.pg_attribute a
	WHERE a.attrelid = $1 AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'column "%" does not exist', $2
			USING ERRCODE = 'undefined_column', DETAIL = format('Relation %s has no column of that name.', $1);
	END IF;
	WHILE (SELECT t.typtype FROM pg_catalog.pg_type t WHERE t.oid = typ) = 'd' LOOP
		SELECT t.typbasetype INTO typ FROM pg_catalog.pg_type t WHERE t.oid = typ;
	END LOOP;
	IF typ <> 'quanyu.audience'::regtype THEN
		RAISE EXCEPTION 'column "%" is of type %, not audience', $2, typ::regtype
			USING ERRCODE = 'datatype_mismatch', DETAIL = format('Only audience columns of %s can be registered for erasure.', $1);
	END IF;
	IF NOT (pg_catalog.has_column_privilege($1, $2::name, 'UPDATE') AND pg_catalog.has_column_privilege($1, $2::name, 'SELECT')) THEN
		RAISE EXCEPTION 'permission denied for table %', rel
			USING ERRCODE = 'insufficient_privilege',
				DETAIL = 'Registering a column for erasure needs SELECT and UPDATE on it.';
	END IF;
	INSERT INTO quanyu.erasure_column (schema_name, table_name, column_name) VALUES (nsp, rel, $2)
	ON CONFLICT DO NOTHING;
	RETURN FOUND;
END $$;
COMMENT ON FUNCTION erasure_register(regclass, text) IS 'register an audience column of a table: identity_forget removes erased persons from it; false when already registered';

CREATE FUNCTION erasure_unregister(relation regclass, column_name text) RETURNS boolean
	LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
	SET search_path = pg_catalog, quanyu, pg_temp
	AS $$
BEGIN
	DELETE FROM quanyu.erasure_column e
	USING pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	WHERE c.oid = $1 AND e.schema_name = n.nspname AND e.table_name = c.relname AND e.column_name = $2;
	RETURN FOUND;
END $$;
COMMENT ON FUNCTION erasure_unregister(regclass, text) IS 'stop erasing from an audience column; false when it was not registered';

CREATE FUNCTION erasure_update_column(relation regclass, column_name text, ids audience) RETURNS bigint
	AS 'MODULE_PATHNAME', 'erasure_update_column' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION erasure_update_column(regclass, text, audience) IS 'remove the ids from every value of an audience column; checks the caller''s SELECT and UPDATE privileges, then updates as the table''s owner in a security-restricted operation; returns the rows changed';

-- Erase persons: every identifier, merge and refusal row, every segment and
-- snapshot, every registered audience column, and (when installed) consent.
CREATE FUNCTION identity_forget(person_ids bigint[])
	RETURNS TABLE (erased_from text, values_removed bigint)
	LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
	SET search_path = pg_catalog, quanyu, pg_temp
	AS $$
DECLARE
	ids bigint[];
	gone quanyu.audience;
	idents text[];
	n bigint;
	known bigint;
	removed jsonb := '{}';
	col record;
	rel regclass;
	nreq integer;
BEGIN
	IF EXISTS (SELECT 1 FROM unnest(person_ids) p WHERE p IS NULL OR p < 0 OR p > 4294967295) THEN
		RAISE EXCEPTION 'person ids must be integers from 0 to 4294967295'
			USING ERRCODE = 'numeric_value_out_of_range',
				DETAIL = format('The array holds %s.', (SELECT coalesce(p::text, 'NULL') FROM unnest(person_ids) p
					WHERE p IS NULL OR p < 0 OR p > 4294967295 LIMIT 1));
	END IF;
	SELECT count(DISTINCT p) INTO nreq FROM unnest(person_ids) p;
	-- The identity lock: no identity_link or identity_register runs meanwhile.
	PERFORM pg_catalog.pg_advisory_xact_lock(1364283737, 1);
	-- A person is their current id and every id merged into it; an id
	-- merged away stands for the person it was merged into.
	WITH req AS (SELECT DISTINCT p FROM unnest(person_ids) p),
	cur AS (SELECT coalesce(m.current_survivor, req.p) AS p FROM req
		LEFT JOIN quanyu.identity_merge m ON m.loser = req.p)
	SELECT array_agg(DISTINCT x ORDER BY x) INTO ids FROM (
		SELECT p AS x FROM req
		UNION SELECT p FROM cur
		UNION SELECT m.loser FROM quanyu.identity_merge m JOIN cur ON m.current_survivor = cur.p
	) u;
	ids := coalesce(ids, '{}');
	gone := ids::quanyu.audience;

	-- Consent records and export logs first: consent_forget finds them
	-- through the identifiers deleted next.
	n := quanyu.consent_forget(ids);
	removed := removed || jsonb_build_object('consent', n);
	known := n;

	WITH d AS (DELETE FROM quanyu.identity_identifier i WHERE i.person_id = ANY (ids)
		RETURNING i.id_type || ':' || i.id_value AS ident)
	SELECT count(*), coalesce(array_agg(d.ident), '{}') INTO n, idents FROM d;
	removed := removed || jsonb_build_object('identity_identifier', n);
	known := known + n;
	DELETE FROM quanyu.identity_merge m
	WHERE m.loser = ANY (ids) OR m.survivor = ANY (ids) OR m.current_survivor = ANY (ids)
		OR m.evidence_type_a || ':' || m.evidence_value_a = ANY (idents)
		OR m.evidence_type_b || ':' || m.evidence_value_b = ANY (idents);
	GET DIAGNOSTICS n = ROW_COUNT;
	removed := removed || jsonb_build_object('identity_merge', n);
	known := known + n;
	DELETE FROM quanyu.identity_refusal r
	WHERE r.person_a = ANY (ids) OR r.person_b = ANY (ids)
		OR r.type_a || ':' || r.value_a = ANY (idents) OR r.type_b || ':' || r.value_b = ANY (idents);
	GET DIAGNOSTICS n = ROW_COUNT;
	removed := removed || jsonb_build_object('identity_refusal', n);
	known := known + n;

	-- Segments and their snapshots: the ids leave every stored set.
	WITH u AS (UPDATE quanyu.segment s SET members = s.members - gone
		WHERE s.members && gone RETURNING 1)
	SELECT count(*) INTO n FROM u;
	removed := removed || jsonb_build_object('segment', n);
	known := known + n;
	WITH u AS (UPDATE quanyu.segment_snapshot x SET
			full_members = x.full_members - gone, entered = x.entered - gone, exited = x.exited - gone
		WHERE x.full_members && gone OR x.entered && gone OR x.exited && gone RETURNING 1)
	SELECT count(*) INTO n FROM u;
	removed := removed || jsonb_build_object('segment_snapshot', n);
	known := known + n;

	-- Registered audience columns: the caller's privileges are checked, the
	-- update runs as each table's owner (erasure_update_column).
	FOR col IN SELECT e.schema_name, e.table_name, e.column_name FROM quanyu.erasure_column e
		ORDER BY 1, 2, 3 LOOP
		rel := to_regclass(format('%I.%I', col.schema_name, col.table_name));
		IF rel IS NULL THEN
			RAISE EXCEPTION 'registered table %.% does not exist', quote_ident(col.schema_name), quote_ident(col.table_name)
				USING ERRCODE = 'undefined_table',
					HINT = 'Remove it from quanyu.erasure_column, or create it again.';
		END IF;
		n := quanyu.erasure_update_column(rel, col.column_name, gone);
		removed := removed || jsonb_build_object(format('%I.%I.%I', col.schema_name, col.table_name, col.column_name), n);
		known := known + n;
	END LOOP;

	-- identity_state is left alone: every id identity_link handed out is
	-- below next_person_id, which only grows, so an erased id is never
	-- handed out again (and an unknown id must not use up the id space).
	IF known = 0 THEN
		RAISE NOTICE 'identity_forget: nothing stored belongs to the % person id(s) given', nreq
			USING DETAIL = 'Unknown or already erased persons are not an error.';
	END IF;
	INSERT INTO quanyu.erasure_log (persons_requested, person_ids_erased, removed)
	VALUES (nreq, cardinality(ids), removed);
	RETURN QUERY SELECT k, v::bigint FROM jsonb_each_text(removed) AS j (k, v) ORDER BY k;
END $$;
COMMENT ON FUNCTION identity_forget(bigint[]) IS 'erase persons (and the ids merged into them) from identifiers, merge log, refusals, segments, snapshots, registered audience columns and consent, in one transaction, with an audit row in erasure_log; idempotent';

CREATE FUNCTION identity_forget(person_id bigint)
	RETURNS TABLE (erased_from text, values_removed bigint)
	LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE
	SET search_path = pg_catalog, quanyu, pg_temp
	AS $$ SELECT * FROM quanyu.identity_forget(ARRAY[$1]) $$;
COMMENT ON FUNCTION identity_forget(bigint) IS 'erase one person: identity_forget(ARRAY[person_id])';
