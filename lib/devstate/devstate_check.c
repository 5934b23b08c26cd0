/* SPDX-License-Identifier: BSD-3-Clause */
/* Can a (valid) device state be loaded into a given port? */

#include <errno.h>
#include <inttypes.h>

#include "devstate_priv.h"

int
vhacc_devstate_check(const struct vhacc_devstate *s, uint64_t device_features, uint16_t max_qps,
	char *err, size_t errlen)
{
	struct ds_err e = {.buf = err, .len = errlen, .loc = DS_LOC_NONE};
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (s == NULL)
		return ds_fail(&e, -EINVAL, "no state");
	rc = ds_validate(s, &e);
	if (rc != 0)
		return rc;
	/*
	 * The guest negotiated these: the port must offer every one. (Validation
	 * tied each ring layout to RING_PACKED in the driver features, so the port
	 * then also offers the layout.)
	 */
	if (s->driver_features & ~device_features)
		return ds_fail(&e, -ENOTSUP,
			"driver features 0x%" PRIx64 " not offered by the port (0x%" PRIx64
			"): bits 0x%" PRIx64,
			s->driver_features, device_features, s->driver_features & ~device_features);
	if (s->max_queue_pairs > max_qps)
		return ds_fail(&e, -ENOTSUP, "%u queue pairs, the port has %u", s->max_queue_pairs,
			max_qps);
	return 0;
}
