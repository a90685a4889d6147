/* Automatic scaling (docs/autoscale.md). Placeholder: being written. */
#include <stdio.h>
#include <string.h>

#include "sluiced.h"

int
sluiced_autoscale_parse(const char *v, struct sluiced_autoscale_spec *out, char *err,
	size_t errlen)
{
	(void)v;
	memset(out, 0, sizeof(*out));
	snprintf(err, errlen, "not implemented yet");
	return -1;
}

int
sluiced_autoscale_start(const struct sluiced_cfg *cfg, struct slc_ingest *ing)
{
	(void)cfg;
	(void)ing;
	return 0;
}

void
sluiced_autoscale_tick(uint64_t now_ms)
{
	(void)now_ms;
}

void
sluiced_autoscale_stop(void)
{
}
