-- src/security/segment_grants.sql: privileges on the segment and erasure
-- tables (src/segment/segment.sql), after roles.sql has made the roles.
--
-- quanyu_reader reads segments, snapshots, the erasure registry and audit.
-- quanyu_writer defines and refreshes segments, registers audience columns
-- and erases persons (identity_forget deletes identity rows).
GRANT SELECT ON quanyu.segment, quanyu.segment_snapshot, quanyu.segment_storage,
	quanyu.erasure_column, quanyu.erasure_log TO quanyu_reader;
GRANT INSERT, UPDATE, DELETE ON quanyu.segment, quanyu.segment_snapshot TO quanyu_writer;
GRANT INSERT, DELETE ON quanyu.erasure_column TO quanyu_writer;
GRANT INSERT ON quanyu.erasure_log TO quanyu_writer;
GRANT DELETE ON quanyu.identity_identifier, quanyu.identity_merge, quanyu.identity_refusal TO quanyu_writer;
