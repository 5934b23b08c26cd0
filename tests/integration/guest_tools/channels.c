/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A minimal "ethtool -l / -L <if> combined N" for the test guest (busybox has
 * no ethtool). Built static on the host by tests/integration/guest_lib.sh.
 *
 *   vhacc-channels IFNAME        print "max_combined=M combined=C"
 *   vhacc-channels IFNAME N      set the combined channel count to N (Linux
 *                                virtio-net: the VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET
 *                                command on the control queue), then print as above
 *
 * Exit status 0 on success, 1 with a message on stderr otherwise.
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int
channels(int fd, const char *ifname, struct ethtool_channels *ch, unsigned int cmd)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ch->cmd = cmd;
	ifr.ifr_data = (void *)ch;
	return ioctl(fd, SIOCETHTOOL, &ifr);
}

int
main(int argc, char **argv)
{
	struct ethtool_channels ch;
	char *end;
	long n = -1;
	int fd;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s IFNAME [COMBINED]\n", argv[0]);
		return 1;
	}
	if (argc == 3) {
		n = strtol(argv[2], &end, 10);
		if (*argv[2] == '\0' || *end != '\0' || n < 1) {
			fprintf(stderr, "%s: bad channel count '%s'\n", argv[0], argv[2]);
			return 1;
		}
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	memset(&ch, 0, sizeof(ch));
	if (channels(fd, argv[1], &ch, ETHTOOL_GCHANNELS) != 0) {
		fprintf(stderr, "%s: ETHTOOL_GCHANNELS on %s: %s\n", argv[0], argv[1],
			strerror(errno));
		return 1;
	}
	if (n > 0) {
		if ((unsigned long)n > ch.max_combined) {
			fprintf(stderr, "%s: %ld channels asked, %s has at most %u\n", argv[0], n,
				argv[1], ch.max_combined);
			return 1;
		}
		ch.combined_count = (unsigned int)n;
		if (channels(fd, argv[1], &ch, ETHTOOL_SCHANNELS) != 0) {
			fprintf(stderr, "%s: ETHTOOL_SCHANNELS combined %ld on %s: %s\n", argv[0],
				n, argv[1], strerror(errno));
			return 1;
		}
		memset(&ch, 0, sizeof(ch));
		if (channels(fd, argv[1], &ch, ETHTOOL_GCHANNELS) != 0) {
			fprintf(stderr, "%s: ETHTOOL_GCHANNELS on %s: %s\n", argv[0], argv[1],
				strerror(errno));
			return 1;
		}
	}
	printf("max_combined=%u combined=%u\n", ch.max_combined, ch.combined_count);
	close(fd);
	return 0;
}
