/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VHACC_LOG_H
#define VHACC_LOG_H

/*
 * Logging for every vhacc module. Each module registers its own rte_log type
 * "vhacc.<module>" with VHACC_LOG_REGISTER(<module>) in exactly one .c file and
 * logs with VHACC_LOG(<module>, LEVEL, fmt, ...).
 *
 * Worker lcores never log on the hot path: errors become counters. The only
 * logging a worker may do is VHACC_DP_LOG, which compiles out unless the
 * build sets VHACC_DP_LOG_LEVEL (meson option dp_log_level) at or above the
 * message level.
 */

#include <rte_log.h>

#define VHACC_LOG_REGISTER(mod) RTE_LOG_REGISTER(vhacc_logtype_##mod, vhacc.mod, INFO)

#define VHACC_LOG_DECLARE(mod) extern int vhacc_logtype_##mod

#define VHACC_LOG(mod, level, fmt, ...)                                                            \
	rte_log(RTE_LOG_##level, vhacc_logtype_##mod, "vhacc." #mod ": " fmt "\n", ##__VA_ARGS__)

#ifndef VHACC_DP_LOG_LEVEL
#define VHACC_DP_LOG_LEVEL 0
#endif

#define VHACC_DP_LOG(mod, level, fmt, ...)                                                         \
	do {                                                                                       \
		if (RTE_LOG_##level <= VHACC_DP_LOG_LEVEL)                                         \
			VHACC_LOG(mod, level, fmt, ##__VA_ARGS__);                                 \
	} while (0)

#endif /* VHACC_LOG_H */
