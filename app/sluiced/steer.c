/* RSS steering (docs/dataplane.md, "RSS steering"). Placeholder: being written. */
#include "sluiced.h"

int
sluiced_steer_start(const struct sluiced_cfg *cfg, struct sluiced_state *s)
{
	(void)cfg;
	(void)s;
	return 0;
}

void
sluiced_steer_tick(uint64_t now_ms)
{
	(void)now_ms;
}

void
sluiced_steer_stop(void)
{
}
