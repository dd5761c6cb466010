-- metrics, audience_eval (src/metrics/metrics.sql): 0.1.0 -> 0.2.0.

-- audience_eval follows SQL's precedence for the audience operators.
COMMENT ON FUNCTION audience_eval(text, text[], audience[]) IS
	'evaluate a segment expression such as vip & (wecom | "group") - churned over named audiences, with SQL''s precedence (- before & | #, each level left to right)';
