/*
 * fuzz_eval.c
 *	  libFuzzer target: the segment expression parser of audience_eval()
 *	  ('vip & (wecom | "group") - churned'), and evaluation of what it
 *	  parsed over small sets named by the expression.
 *
 * The file is included so its static parser can be called directly.
 */
#include "fuzz_pg.h"

#include "../../src/metrics/audience_eval.c"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern bool fuzz_valid_utf8(const uint8_t *s, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *text;

	if (size > 65536 || !fuzz_valid_utf8(data, size))
		return 0;
	fuzz_init();
	text = fuzz_cstring(data, size);
	FUZZ_TRY(
		{
			SegParser	p;
			SegNode    *root = seg_parse(&p, text);
			int			n = list_length(p.names);
			const roaring_bitmap_t **slots = palloc0(sizeof(*slots) * Max(n, 1));
			ListCell   *lc;
			int			i = 0;

			foreach(lc, p.names)
			{
				SegNode    *node = lfirst(lc);
				uint32		h = (uint32) strlen(node->name) * 2654435761u + (uint8) node->name[0];

				FUZZ_ASSERT(node->name[0] != '\0', "empty name parsed");
				node->slot = i;
				slots[i++] = metrics_own(roaring_bitmap_from_range(h % 64, h % 64 + 40, 1 + h % 3));
			}
			(void) seg_eval(root, slots);
		});
	fuzz_reset();
	return 0;
}
