# quanyu: PGXS build.  Every src/<module>/*.c is compiled into one library;
# the install script is assembled from src/<module>/*.sql in module order.

EXTENSION   = quanyu
EXTVERSION  = 0.2.0
MODULE_big  = quanyu

# Module order matters for the install script: later modules use earlier ones.
QY_MODULES  = common audience identity clv metrics segment activation security
QY_SQL      = $(foreach m,$(QY_MODULES),$(sort $(wildcard src/$(m)/*.sql)))
OBJS        = $(patsubst %.c,%.o,$(sort $(wildcard src/*/*.c)))

# CRoaring: audience_roaring.c reads CRoaring 0.2.66's private structs (its
# static assertions refuse any other version); QY_ROARING_PUBLIC_API=1 builds
# audience_roaring_public.c instead, the same functions on the public API.
ifeq ($(QY_ROARING_PUBLIC_API),1)
OBJS       := $(filter-out src/audience/audience_roaring.o,$(OBJS))
else
OBJS       := $(filter-out src/audience/audience_roaring_public.o,$(OBJS))
endif

# Released versions: their install scripts are frozen in upgrade/ and each
# step to the next version is assembled from upgrade/<from>--<to>/*.sql.
QY_UPGRADE_0_2 = $(sort $(wildcard upgrade/0.1.0--0.2.0/*.sql))

DATA_built  = $(EXTENSION)--$(EXTVERSION).sql $(EXTENSION)--0.1.0--0.2.0.sql
DATA        = upgrade/$(EXTENSION)--0.1.0.sql
REGRESS     = $(sort $(basename $(notdir $(wildcard sql/*.sql))))
# installcheck against your own server: a fresh database with quanyu on the path.
REGRESS_OPTS = --inputdir=. --load-extension=quanyu
EXTRA_CLEAN = $(DATA_built) results regression.diffs regression.out

PG_CPPFLAGS = -I$(srcdir)/src -isystem $(shell $(PG_CONFIG) --includedir-server) -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
SHLIB_LINK  = -lroaring -lxxhash

PG_CONFIG  ?= pg_config
PGXS       := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(EXTENSION)--$(EXTVERSION).sql: $(QY_SQL)
	cat $^ > $@

$(EXTENSION)--0.1.0--0.2.0.sql: upgrade/header.sql $(QY_UPGRADE_0_2)
	sed 's/@TO@/0.2.0/' upgrade/header.sql > $@
	cat $(QY_UPGRADE_0_2) >> $@

$(OBJS): $(wildcard src/*/*.h)

installcheck: export PGOPTIONS += -c search_path=quanyu,public

.PHONY: test demo bench fuzz sanitize
test:
	bash test/run_tests.sh
demo:
	bash test/run_demo.sh
bench:
	bash test/run_bench.sh
fuzz:
	bash test/run_fuzz.sh
sanitize:
	bash test/run_sanitized.sh
