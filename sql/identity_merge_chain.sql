-- identity_merge.survivor (issue 15): the person the loser's identifiers
-- moved to when its batch committed.  When one batch chains merges (3 into
-- 2, then 2 into 1) every loser of the batch records the batch's final
-- survivor (1), the person that exists after the batch; a later batch
-- changes only current_survivor.
TRUNCATE identity_identifier, identity_merge, identity_refusal, identity_state;
DELETE FROM identity_rule;
SELECT * FROM identity_link($$VALUES ('openid', 'o1', 'buyer_id', 'b1'), ('openid', 'o2', 'buyer_id', 'b2'), ('openid', 'o3', 'buyer_id', 'b3'), ('openid', 'o4', 'buyer_id', 'b4')$$);
-- Batch 1: 4 into 3.
SELECT merges FROM identity_link($$VALUES ('openid', 'o4', 'buyer_id', 'b3')$$);
SELECT loser, survivor, current_survivor FROM identity_merge ORDER BY loser;
-- Batch 2 chains: 3 into 2, then (the pair order) 2 into 1.
SELECT merges FROM identity_link($$VALUES ('openid', 'o3', 'buyer_id', 'b2'), ('openid', 'o2', 'buyer_id', 'b1')$$);
SELECT loser, survivor, current_survivor, evidence_value_a || ' = ' || evidence_value_b AS evidence FROM identity_merge ORDER BY loser;
SELECT identity_resolve(4) AS resolved_4, count(DISTINCT person_id) AS persons FROM identity_identifier;
TRUNCATE identity_identifier, identity_merge, identity_refusal, identity_state;
