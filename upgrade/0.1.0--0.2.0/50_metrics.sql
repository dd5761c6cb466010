-- metrics (src/metrics/metrics.sql): 0.1.0 -> 0.2.0.

-- audience_eval(text, regclass) reads a relation the caller names (a temp
-- table cannot be read in a parallel worker).
ALTER FUNCTION audience_eval(text, regclass) PARALLEL RESTRICTED;
