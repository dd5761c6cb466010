-- activation grants (src/security/roles_activation.sql): 0.1.0 -> 0.2.0, new in 0.2.0.
-- After 90_security.sql, which makes the roles on a database updated from 0.1.0.

-- src/security/roles_activation.sql: privileges on the activation tables
-- (src/activation/activation.sql), after src/security/roles.sql has made
-- the roles.  Readers see consent and the export logs, and so may run
-- audience_export; writers record and withdraw consent and run incremental
-- exports (audience_export_changes locks and updates its log row).
GRANT SELECT ON quanyu.consent, quanyu.audience_export_log TO quanyu_reader;
GRANT INSERT, UPDATE, DELETE ON quanyu.consent, quanyu.audience_export_log TO quanyu_writer;
