-- quanyu upgrade script, assembled by the Makefile from upgrade/<from>--<to>/*.sql.

\echo Use "ALTER EXTENSION quanyu UPDATE TO '@TO@'" to load this file. \quit
