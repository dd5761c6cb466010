-- quanyu install script, assembled by the Makefile from src/<module>/*.sql.

\echo Use "CREATE EXTENSION quanyu" to load this file. \quit
