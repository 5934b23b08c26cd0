/* SPDX-License-Identifier: BSD-3-Clause */
/* The part types vhacc knows: names, flags, value lengths (doc/device-state.md). */

#include <stddef.h>

#include "devstate_priv.h"

#define OPT VHACC_DEV_PART_F_OPTIONAL

static const struct ds_part_desc parts[] = {
	/* type, name, supported, flags, value length, per vq */
	{VHACC_DEV_PART_DEV_FEATURES, "device_features", true, OPT, DS_LEN_FEATURES, false},
	{VHACC_DEV_PART_DRV_FEATURES, "driver_features", true, 0, DS_LEN_FEATURES, false},
	{VHACC_DEV_PART_PCI_COMMON_CFG, "pci_common_cfg", false, 0, 0, false},
	{VHACC_DEV_PART_DEVICE_STATUS, "device_status", true, 0, DS_LEN_STATUS, false},
	{VHACC_DEV_PART_VQ_CFG, "vq_cfg", true, 0, DS_LEN_VQ_CFG, true},
	{VHACC_DEV_PART_VQ_NOTIFY_CFG, "vq_notify_cfg", false, 0, 0, true},
	{VHACC_DEV_PART_NET_CVQ_CFG, "net_cvq_cfg", false, 0, 0, false},
	{VHACC_DEV_PART_VHACC_HEADER, "vhacc_header", true, 0, DS_LEN_HEADER, false},
	{VHACC_DEV_PART_VHACC_NET_CFG, "vhacc_net_cfg", true, 0, DS_LEN_NET_CFG, false},
	{VHACC_DEV_PART_VHACC_VQ_STATE, "vhacc_vq_state", true, 0, DS_LEN_VQ_STATE, true},
	{VHACC_DEV_PART_VHACC_INFLIGHT, "vhacc_inflight", true, 0, 0, true},
	{VHACC_DEV_PART_VHACC_BUFFERED, "vhacc_buffered", true, OPT, DS_LEN_BUFFERED, false},
	{VHACC_DEV_PART_VHACC_CHECKSUM, "vhacc_checksum", true, 0, DS_LEN_CHECKSUM, false},
};

const struct ds_part_desc *
ds_part_desc(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (parts[i].type == type)
			return &parts[i];
	return NULL;
}

const char *
vhacc_devstate_part_name(uint16_t type)
{
	const struct ds_part_desc *d = ds_part_desc(type);

	return d != NULL ? d->name : "unknown";
}
