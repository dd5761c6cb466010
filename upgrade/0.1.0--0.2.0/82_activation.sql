-- activation (src/activation/activation.sql): 0.1.0 -> 0.2.0, new in 0.2.0.
-- The text below is src/activation/activation.sql as it is.

-- src/activation/activation.sql: person-to-tags lookups (a GIN operator class
-- for audience), consent per identifier and purpose, and activation export
-- (doc/activation.md).  Grants: src/security/roles_activation.sql.

-- GIN operator class ------------------------------------------------------------

CREATE FUNCTION audience_gin_extract_value(audience, internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'audience_gin_extract_value' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_gin_extract_query(audience, internal, smallint, internal, internal, internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'audience_gin_extract_query' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_gin_consistent(internal, smallint, audience, integer, internal, internal, internal, internal) RETURNS boolean
	AS 'MODULE_PATHNAME', 'audience_gin_consistent' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_gin_triconsistent(internal, smallint, audience, integer, internal, internal, internal) RETURNS "char"
	AS 'MODULE_PATHNAME', 'audience_gin_triconsistent' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION audience_gin_extract_value(audience, internal, internal) IS 'GIN support: the person ids of an audience as int4 keys';
COMMENT ON FUNCTION audience_gin_extract_query(audience, internal, smallint, internal, internal, internal, internal) IS 'GIN support: the keys to look up for @>, && or <@';
COMMENT ON FUNCTION audience_gin_consistent(internal, smallint, audience, integer, internal, internal, internal, internal) IS 'GIN support: whether an indexed audience matches, from the keys it holds';
COMMENT ON FUNCTION audience_gin_triconsistent(internal, smallint, audience, integer, internal, internal, internal) IS 'GIN support: audience_gin_consistent in three-valued logic';

CREATE OPERATOR CLASS audience_gin_ops DEFAULT FOR TYPE audience USING gin AS
	OPERATOR 1 @> (audience, bigint),
	OPERATOR 2 @> (audience, audience),
	OPERATOR 3 && (audience, audience),
	OPERATOR 4 <@ (audience, audience),
	FUNCTION 1 pg_catalog.btint4cmp(integer, integer),
	FUNCTION 2 audience_gin_extract_value(audience, internal, internal),
	FUNCTION 3 audience_gin_extract_query(audience, internal, smallint, internal, internal, internal, internal),
	FUNCTION 4 audience_gin_consistent(internal, smallint, audience, integer, internal, internal, internal, internal),
	FUNCTION 6 audience_gin_triconsistent(internal, smallint, audience, integer, internal, internal, internal),
	STORAGE integer;
COMMENT ON OPERATOR CLASS audience_gin_ops USING gin IS 'GIN index of audiences by person id: which stored audiences hold person p (@> id), hold all of (@> audience), share a person with (&&) or lie within (<@) an audience';
COMMENT ON OPERATOR FAMILY audience_gin_ops USING gin IS 'GIN index of audiences by person id';

-- The operators the index serves cost what decoding a stored audience costs:
-- with the default cost of 1, a table of 500 tags (a few heap pages, each
-- value 250 kB out of line) looks cheaper to scan than to look up, and the
-- planner never uses the index for the one query it is for.
ALTER FUNCTION audience_contains(audience, bigint) COST 100;
ALTER FUNCTION audience_contained(bigint, audience) COST 100;
ALTER FUNCTION audience_contains(audience, audience) COST 100;
ALTER FUNCTION audience_contained(audience, audience) COST 100;
ALTER FUNCTION audience_overlaps(audience, audience) COST 100;

-- Consent -------------------------------------------------------------------------

-- The latest decision per identifier and purpose.  Consent is kept per
-- identifier, never per person id: a person id changes when persons merge,
-- an identifier does not, and it resolves to its current person through
-- identity_identifier whenever consent is read.
CREATE TABLE consent (
	id_type text COLLATE "C" NOT NULL,
	id_value text COLLATE "C" NOT NULL,
	purpose text COLLATE "C" NOT NULL CHECK (purpose ~ '^[a-z][a-z0-9_]{0,62}$'),
	granted boolean NOT NULL,
	decided_at timestamptz NOT NULL,
	source text NOT NULL,
	recorded_at timestamptz NOT NULL,
	PRIMARY KEY (id_type, id_value, purpose)
);
CREATE INDEX consent_purpose ON consent (purpose);
COMMENT ON TABLE consent IS 'consent: the latest decision (granted or withdrawn) of each identifier for each purpose or channel, with when it was made and where it came from';
SELECT pg_catalog.pg_extension_config_dump('consent', '');

CREATE FUNCTION consent_record(id_type text, id_value text, purpose text, granted boolean DEFAULT true,
	source text DEFAULT 'unknown', decided_at timestamptz DEFAULT pg_catalog.now()) RETURNS bigint
	LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, quanyu, pg_temp
	AS $$
DECLARE
	v text;
BEGIN
	IF id_type IS NULL OR id_value IS NULL OR purpose IS NULL OR granted IS NULL OR decided_at IS NULL THEN
		RAISE EXCEPTION 'consent_record: id_type, id_value, purpose, granted and decided_at must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF purpose !~ '^[a-z][a-z0-9_]{0,62}$' THEN
		RAISE EXCEPTION 'invalid consent purpose "%"', purpose
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = 'A purpose is a lower-case name of letters, digits and underscores, starting with a letter.',
				HINT = 'Use names such as marketing, sms or ads.';
	END IF;
	v := quanyu.identity_normalize(id_type, id_value);
	IF v IS NULL THEN
		RAISE EXCEPTION 'identifier % "%" is blocked by the identity rules', id_type, id_value
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = 'Consent is recorded for identifiers as identity merge stores them; this value is never stored.';
	END IF;
	-- An older decision arriving late never overrides a newer one.
	INSERT INTO quanyu.consent AS c (id_type, id_value, purpose, granted, decided_at, source, recorded_at)
	VALUES (id_type, v, purpose, granted, decided_at, COALESCE(source, 'unknown'), pg_catalog.now())
	ON CONFLICT ON CONSTRAINT consent_pkey DO UPDATE
		SET granted = EXCLUDED.granted, decided_at = EXCLUDED.decided_at,
			source = EXCLUDED.source, recorded_at = EXCLUDED.recorded_at
		WHERE c.decided_at OPERATOR(pg_catalog.<=) EXCLUDED.decided_at;
	RETURN (SELECT i.person_id FROM quanyu.identity_identifier i
		WHERE i.id_type OPERATOR(pg_catalog.=) consent_record.id_type
			AND i.id_value OPERATOR(pg_catalog.=) v);
END $$;
COMMENT ON FUNCTION consent_record(text, text, text, boolean, text, timestamptz) IS 'record a consent decision of an identifier for a purpose (granted by default); returns the person the identifier belongs to now, NULL when not linked yet';

CREATE FUNCTION consent_withdraw(id_type text, id_value text, purpose text,
	source text DEFAULT 'unknown', decided_at timestamptz DEFAULT pg_catalog.now()) RETURNS bigint
	LANGUAGE sql VOLATILE PARALLEL UNSAFE
	AS $$ SELECT quanyu.consent_record($1, $2, $3, false, $4, $5) $$;
COMMENT ON FUNCTION consent_withdraw(text, text, text, text, timestamptz) IS 'record that an identifier withdrew its consent for a purpose; effective for every later export at once';

CREATE FUNCTION consent_persons(purpose text) RETURNS audience
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
	AS $$
	SELECT quanyu.audience_agg(d.person_id)
	FROM (SELECT DISTINCT ON (i.person_id) i.person_id, c.granted
		FROM quanyu.consent c
		JOIN quanyu.identity_identifier i
			ON i.id_type OPERATOR(pg_catalog.=) c.id_type AND i.id_value OPERATOR(pg_catalog.=) c.id_value
		WHERE c.purpose OPERATOR(pg_catalog.=) $1
		ORDER BY i.person_id, c.decided_at DESC, c.granted) d
	WHERE d.granted $$;
COMMENT ON FUNCTION consent_persons(text) IS 'the persons whose latest decision for the purpose, over all their identifiers, is a grant';

CREATE FUNCTION audience_consented(a audience, purpose text) RETURNS audience
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
	AS $$ SELECT $1 OPERATOR(quanyu.&) quanyu.consent_persons($2) $$;
COMMENT ON FUNCTION audience_consented(audience, text) IS 'the persons of the audience who consent to the purpose (their latest decision over all their identifiers is a grant)';

CREATE FUNCTION consent_forget(person_ids bigint[]) RETURNS bigint
	LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
	SET search_path = pg_catalog, quanyu, pg_temp
	AS $$
DECLARE
	n bigint;
BEGIN
	WITH d AS (
		DELETE FROM quanyu.consent c
		USING quanyu.identity_identifier i
		WHERE i.id_type OPERATOR(pg_catalog.=) c.id_type AND i.id_value OPERATOR(pg_catalog.=) c.id_value
			AND i.person_id OPERATOR(pg_catalog.=) ANY (person_ids)
		RETURNING 1)
	SELECT pg_catalog.count(*) INTO n FROM d;
	-- The persons leave the export logs too (they hold person ids).
	UPDATE quanyu.audience_export_log l
	SET last_audience = l.last_audience OPERATOR(quanyu.-) quanyu.audience(ARRAY(
		SELECT p FROM pg_catalog.unnest(person_ids) p
		WHERE p OPERATOR(pg_catalog.>=) 0 AND p OPERATOR(pg_catalog.<=) 4294967295))
	WHERE l.last_audience OPERATOR(quanyu.&&) quanyu.audience(ARRAY(
		SELECT p FROM pg_catalog.unnest(person_ids) p
		WHERE p OPERATOR(pg_catalog.>=) 0 AND p OPERATOR(pg_catalog.<=) 4294967295));
	RETURN n;
END $$;

-- Activation export ----------------------------------------------------------------

-- What audience_export_changes sent last, per export name.
CREATE TABLE audience_export_log (
	name text COLLATE "C" PRIMARY KEY,
	id_type text COLLATE "C" NOT NULL,
	hash text COLLATE "C" CHECK (hash IN ('md5', 'sha256')),
	purpose text COLLATE "C" NOT NULL,
	last_audience audience NOT NULL,
	exported_at timestamptz NOT NULL,
	exports bigint NOT NULL
);
COMMENT ON TABLE audience_export_log IS 'activation export: per export name, its parameters and the consented persons it sent last (for audience_export_changes)';
SELECT pg_catalog.pg_extension_config_dump('audience_export_log', '');

-- Checks of the export arguments shared by both exports.
CREATE FUNCTION audience_export_check(id_type text, hash text, purpose text) RETURNS boolean
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, quanyu, pg_temp
	AS $$
BEGIN
	IF id_type IS NULL OR purpose IS NULL THEN
		RAISE EXCEPTION 'audience export: id_type and purpose must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF hash IS NOT NULL AND hash NOT IN ('md5', 'sha256') THEN
		RAISE EXCEPTION 'unsupported hash "%"', hash
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = 'Identifiers are exported as they are (NULL), or hashed with md5 or sha256 as lower-case hex.',
				HINT = 'Use NULL, ''md5'' or ''sha256''.';
	END IF;
	IF purpose !~ '^[a-z][a-z0-9_]{0,62}$' THEN
		RAISE EXCEPTION 'invalid consent purpose "%"', purpose
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = 'A purpose is a lower-case name of letters, digits and underscores, starting with a letter.';
	END IF;
	IF id_type OPERATOR(pg_catalog.=) '*'
		OR (NOT EXISTS (SELECT 1 FROM quanyu.identity_rules r
				WHERE r.id_type OPERATOR(pg_catalog.=) audience_export_check.id_type)
			AND NOT EXISTS (SELECT 1 FROM quanyu.identity_identifier i
				WHERE i.id_type OPERATOR(pg_catalog.=) audience_export_check.id_type)) THEN
		RAISE EXCEPTION 'unknown identifier type "%"', id_type
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = 'No identifier of this type was ever linked, and identity_rules has no rule for it.',
				HINT = 'The types in use: SELECT DISTINCT id_type FROM quanyu.identity_identifier.';
	END IF;
	RETURN true;
END $$;
COMMENT ON FUNCTION audience_export_check(text, text, text) IS 'true when the export arguments are valid; an error for an unknown identifier type, an unsupported hash or an invalid purpose (used by the exports)';

-- The identifiers of the persons of an audience, in chunks of persons, with
-- progress notices.  No consent check: the exports call it with consented
-- (or, for removals, previously exported) persons only.
CREATE FUNCTION audience_export_rows(a audience, id_type text, hash text, what text, chunk integer DEFAULT 100000)
	RETURNS TABLE (person_id bigint, identifier text)
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, quanyu, pg_temp
	AS $$
DECLARE
	total bigint := quanyu.cardinality(a);
	done bigint := 0;
	n bigint;
	rows bigint := 0;
BEGIN
	IF chunk IS NULL OR chunk OPERATOR(pg_catalog.<) 1 THEN
		RAISE EXCEPTION 'invalid export chunk size %', COALESCE(chunk::pg_catalog.text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = 'The chunk size is the number of persons exported per step, a positive integer.';
	END IF;
	WHILE done OPERATOR(pg_catalog.<) total LOOP
		RETURN QUERY
			SELECT i.person_id, CASE hash
				WHEN 'md5' THEN pg_catalog.md5(i.id_value)
				WHEN 'sha256' THEN pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(i.id_value, 'UTF8')), 'hex')
				ELSE i.id_value::pg_catalog.text END
			FROM quanyu.audience_ids(quanyu.audience_page(a, done, chunk)) p (id)
			JOIN quanyu.identity_identifier i ON i.person_id OPERATOR(pg_catalog.=) p.id
			WHERE i.id_type OPERATOR(pg_catalog.=) audience_export_rows.id_type
			ORDER BY i.person_id, i.id_value;
		GET DIAGNOSTICS n = ROW_COUNT;
		rows := rows OPERATOR(pg_catalog.+) n;
		done := LEAST(done OPERATOR(pg_catalog.+) chunk, total);
		IF total OPERATOR(pg_catalog.>) chunk THEN
			RAISE NOTICE '%: % of % persons, % identifiers', what, done, total, rows;
		END IF;
	END LOOP;
END $$;
COMMENT ON FUNCTION audience_export_rows(audience, text, text, text, integer) IS 'identifiers of one type of every person of an audience, optionally hashed, in chunks of persons (100000 by default) with a progress notice per chunk; no consent check (use audience_export)';

CREATE FUNCTION audience_export(a audience, id_type text, hash text DEFAULT NULL, purpose text DEFAULT 'marketing')
	RETURNS TABLE (person_id bigint, identifier text)
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, quanyu, pg_temp
	AS $$
DECLARE
	c quanyu.audience;
BEGIN
	IF a IS NULL THEN
		RETURN;
	END IF;
	PERFORM quanyu.audience_export_check(id_type, hash, purpose);
	-- Persons merged away since the audience was built are their survivors.
	c := quanyu.audience_consented(quanyu.audience_canonicalize(a), purpose);
	RAISE NOTICE 'audience_export: % of % persons consent to %', quanyu.cardinality(c), quanyu.cardinality(a), purpose;
	RETURN QUERY SELECT * FROM quanyu.audience_export_rows(c, id_type, hash, 'audience_export');
END $$;
COMMENT ON FUNCTION audience_export(audience, text, text, text) IS 'identifiers of one type of the persons of an audience (merged-away ids count as their survivors) who consent to the purpose, as stored or hashed (md5, sha256: lower-case hex of the normalised value)';

CREATE FUNCTION audience_export_changes(name text, a audience, id_type text, hash text DEFAULT NULL,
	purpose text DEFAULT 'marketing')
	RETURNS TABLE (change text, person_id bigint, identifier text)
	LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, quanyu, pg_temp
	AS $$
DECLARE
	log quanyu.audience_export_log;
	cur quanyu.audience;
	prev quanyu.audience;
BEGIN
	IF name IS NULL OR a IS NULL THEN
		RAISE EXCEPTION 'audience_export_changes: name and audience must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	PERFORM quanyu.audience_export_check(id_type, hash, purpose);
	-- One run per name at a time: the second waits for the first to commit
	-- (the lock also covers a name's first run, which has no row to lock).
	PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('quanyu.audience_export_changes'),
		pg_catalog.hashtext(name));
	SELECT * INTO log FROM quanyu.audience_export_log l
		WHERE l.name OPERATOR(pg_catalog.=) audience_export_changes.name FOR UPDATE;
	IF FOUND AND (log.id_type OPERATOR(pg_catalog.<>) id_type OR log.hash IS DISTINCT FROM hash
			OR log.purpose OPERATOR(pg_catalog.<>) purpose) THEN
		RAISE EXCEPTION 'export "%" was made with other parameters', name
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = pg_catalog.format('It exports %s identifiers, hash %s, for purpose %s.',
					log.id_type, COALESCE(log.hash, 'none'), log.purpose),
				HINT = 'Use a new export name, or start this one again with audience_export_reset.';
	END IF;
	prev := COALESCE(log.last_audience, '{}'::quanyu.audience);
	cur := quanyu.audience_consented(quanyu.audience_canonicalize(a), purpose);
	RAISE NOTICE 'audience_export_changes: % persons to add, % to remove',
		quanyu.audience_andnot_count(cur, prev), quanyu.audience_andnot_count(prev, cur);
	RETURN QUERY SELECT 'add'::pg_catalog.text, r.person_id, r.identifier
		FROM quanyu.audience_export_rows(cur OPERATOR(quanyu.-) prev, id_type, hash, 'audience_export_changes (add)') r;
	RETURN QUERY SELECT 'remove'::pg_catalog.text, r.person_id, r.identifier
		FROM quanyu.audience_export_rows(prev OPERATOR(quanyu.-) cur, id_type, hash, 'audience_export_changes (remove)') r;
	INSERT INTO quanyu.audience_export_log AS l (name, id_type, hash, purpose, last_audience, exported_at, exports)
	VALUES (name, id_type, hash, purpose, cur, pg_catalog.now(), 1)
	ON CONFLICT ON CONSTRAINT audience_export_log_pkey DO UPDATE
		SET last_audience = EXCLUDED.last_audience, exported_at = EXCLUDED.exported_at,
			exports = l.exports OPERATOR(pg_catalog.+) 1;
END $$;
COMMENT ON FUNCTION audience_export_changes(text, audience, text, text, text) IS 'incremental export under a name: identifiers of consenting persons added since the last run of that name (change add) and of persons no longer in it or no longer consenting (change remove); remembers what it sent';

CREATE FUNCTION audience_export_reset(name text) RETURNS boolean
	LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE
	AS $$ WITH d AS (DELETE FROM quanyu.audience_export_log l WHERE l.name OPERATOR(pg_catalog.=) $1 RETURNING 1)
	SELECT EXISTS (SELECT 1 FROM d) $$;
COMMENT ON FUNCTION audience_export_reset(text) IS 'forget what an incremental export sent: its next run sends every consenting person again; false when the name is unknown';

COMMENT ON FUNCTION consent_forget(bigint[]) IS 'erasure: delete the consent records of every identifier of the persons, and remove the persons from the export logs; returns the number of consent records deleted';
