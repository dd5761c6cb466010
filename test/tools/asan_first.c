/*
 * asan_first.c
 *	  Preloaded next to libasan into the (non-instrumented) postgres server
 *	  by test/run_sanitized.sh.  Built with -z initfirst, its constructor
 *	  runs before any other library's and makes the first malloc, so the
 *	  ASan runtime initialises here.
 *
 * Without it, the first malloc of the process happens inside
 * libgpg-error's constructor while glibc's bindtextdomain() holds the
 * gettext lock; ASan's initialisation then calls dlerror(), which takes the
 * same lock again and leaves it corrupted, and the server hangs forever in
 * its own bindtextdomain() call (seen with gcc 12's libasan on Debian 12).
 */
#include <stdlib.h>

void	   *volatile qy_asan_first_ptr;

__attribute__((constructor))
static void
qy_asan_first(void)
{
	/* volatile: the compiler must not drop the malloc/free pair */
	qy_asan_first_ptr = malloc(1);
	free(qy_asan_first_ptr);
}
