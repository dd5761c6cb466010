-- test/scale/combine.sql: the combining aggregates of the node that
-- gathers partial results (PL/Proxy proxy, postgres_fdw coordinator).
\set ON_ERROR_STOP 1
CREATE SCHEMA IF NOT EXISTS q;
CREATE AGGREGATE q.comb_bgnbd(quanyu.agg_state) (SFUNC = quanyu.agg_state_combine, STYPE = quanyu.agg_state, FINALFUNC = quanyu.clv_split_bgnbd_final);
CREATE AGGREGATE q.comb_pareto(quanyu.agg_state) (SFUNC = quanyu.agg_state_combine, STYPE = quanyu.agg_state, FINALFUNC = quanyu.clv_split_pareto_final);
CREATE AGGREGATE q.comb_gammagamma(quanyu.agg_state) (SFUNC = quanyu.agg_state_combine, STYPE = quanyu.agg_state, FINALFUNC = quanyu.clv_split_gammagamma_final);
CREATE AGGREGATE q.comb_breaks(quanyu.agg_state) (SFUNC = quanyu.agg_state_combine, STYPE = quanyu.agg_state, FINALFUNC = quanyu.clv_split_breaks_final);
CREATE AGGREGATE q.comb_metrics(quanyu.agg_state) (SFUNC = quanyu.agg_state_combine, STYPE = quanyu.agg_state, FINALFUNC = quanyu.clv_split_metrics_final);
CREATE AGGREGATE q.comb_lift(double precision[]) (SFUNC = quanyu.segment_lift_combine, STYPE = double precision[],
    INITCOND = '{0,0,0,0,0,0}', FINALFUNC = quanyu.segment_lift_final);
