-- Every object of the extension has a COMMENT.
BEGIN;
SELECT plan(2);

CREATE TEMP VIEW ext_members AS
	SELECT d.classid, d.objid, pg_describe_object(d.classid, d.objid, 0) AS what
	FROM pg_depend d
	JOIN pg_extension e ON e.oid = d.refobjid AND d.refclassid = 'pg_extension'::regclass
	WHERE e.extname = 'quanyu' AND d.deptype = 'e';

SELECT cmp_ok((SELECT count(*) FROM ext_members), '>', 0::bigint, 'the extension has member objects');

SELECT is_empty(
	$$SELECT what FROM ext_members
	  EXCEPT
	  SELECT what FROM ext_members WHERE obj_description(objid, classid::regclass::text) IS NOT NULL
	  ORDER BY 1$$,
	'every extension object has a COMMENT');

SELECT * FROM finish();
ROLLBACK;
