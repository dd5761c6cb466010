-- upgrade/0.1.0--0.2.0/90_security.sql: the role model, exactly as src/security/roles.sql.

-- src/security/roles.sql: the role model (doc/security.md).  Last in the
-- install script: it grants on objects of every module.
--
-- quanyu_reader: use audiences, metrics and CLV; read the identity tables.
-- quanyu_writer: quanyu_reader, plus identity_link, identity_register and
--                rule changes.
-- Both are NOLOGIN group roles: the DBA grants them to login roles.  Roles
-- belong to the cluster, not to a database, so they are created only when
-- absent and are left in place by DROP EXTENSION; a role of the same name
-- made earlier by the DBA is used as it is.
DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['quanyu_reader', 'quanyu_writer'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) r) THEN
			EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
			EXECUTE pg_catalog.format('COMMENT ON ROLE %I IS %L', r, CASE r
				WHEN 'quanyu_reader' THEN 'quanyu: use audiences, metrics and CLV; read the identity tables (doc/security.md)'
				ELSE 'quanyu: quanyu_reader plus identity_link, identity_register and identity rule changes (doc/security.md)' END);
		ELSIF EXISTS (SELECT 1 FROM pg_catalog.pg_roles
				WHERE rolname OPERATOR(pg_catalog.=) r AND (rolcanlogin OR rolsuper)) THEN
			RAISE WARNING 'role % already exists and can log in or is a superuser', r
				USING DETAIL = 'quanyu grants it privileges on the quanyu schema and the identity tables.',
					HINT = 'Make it a NOLOGIN group role and grant it to the roles that need it.';
		END IF;
	END LOOP;
	IF NOT pg_catalog.pg_has_role('quanyu_writer', 'quanyu_reader', 'MEMBER') THEN
		GRANT quanyu_reader TO quanyu_writer;
	END IF;
END $$;

-- Readers: the schema, and every identity table and view (read only).
-- Functions keep the default EXECUTE for PUBLIC: what a function may touch
-- is decided by the privileges on the tables it reads and writes.
GRANT USAGE ON SCHEMA quanyu TO quanyu_reader;
GRANT SELECT ON quanyu.identity_rule, quanyu.identity_identifier, quanyu.identity_merge,
	quanyu.identity_refusal, quanyu.identity_state, quanyu.identity_rules TO quanyu_reader;

-- Writers: what identity_link, identity_register and rule changes write.
GRANT INSERT, UPDATE ON quanyu.identity_identifier, quanyu.identity_merge, quanyu.identity_state TO quanyu_writer;
GRANT INSERT ON quanyu.identity_refusal TO quanyu_writer;
GRANT INSERT, UPDATE, DELETE ON quanyu.identity_rule TO quanyu_writer;
