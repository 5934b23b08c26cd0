/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sequence-numbered frames for the guest hot-upgrade test: sends COUNT
 * frames to PEER_MAC at PPS frames per second and checks the ones that come
 * back (a testpmd peer in macswap mode returns every frame): each sequence
 * number must arrive exactly once, in order, with its payload intact.
 * Built static by tests/integration/guest_lib.sh.
 *
 *   vhacc-seq IFNAME PEER_MAC COUNT PPS SIZE QUIET_SECS
 *
 * The frames bypass the qdisc (PACKET_QDISC_BYPASS): a send succeeds only
 * once the driver put the frame on its TX ring, and fails with ENOBUFS while
 * the link is down or the ring is full, so a frame is retried, never dropped
 * inside the guest. What the test then counts is what happens between the
 * virtio device and the peer. After the last frame it waits for the rest
 * until QUIET_SECS pass without any.
 *
 * Output, one line each: "GUEST-SEQ: started ..." then
 * "GUEST-SEQ: sent=S received=R lost=L dup=D reordered=O corrupt=C
 *  retries=T sock_drops=K first_lost=F last_lost=L longest_stall_ms=M secs=X"
 * (first_lost and last_lost: -1 when nothing was lost).
 *
 * Frame: ethertype 0x88B5 (local experimental), "VHSQ", the sequence number
 * (32 bits, big endian), then bytes (seq * 31 + i) & 0xff up to SIZE.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SEQ_ETHERTYPE 0x88B5
#define HDR_LEN       (14 + 4 + 4)

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int
parse_mac(const char *s, unsigned char *mac)
{
	unsigned int b[6];
	char extra;
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &extra) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -1;
		mac[i] = (unsigned char)b[i];
	}
	return 0;
}

static long
parse_num(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "vhacc-seq: bad %s '%s' (%ld..%ld)\n", what, s, lo, hi);
		exit(2);
	}
	return v;
}

static void
build(unsigned char *f, size_t size, const unsigned char *dst, const unsigned char *src,
	uint32_t seq)
{
	uint32_t be = htonl(seq);
	size_t i;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = SEQ_ETHERTYPE >> 8;
	f[13] = SEQ_ETHERTYPE & 0xff;
	memcpy(f + 14, "VHSQ", 4);
	memcpy(f + 18, &be, 4);
	for (i = HDR_LEN; i < size; i++)
		f[i] = (unsigned char)(seq * 31 + i);
}

int
main(int argc, char **argv)
{
	static unsigned char tx[2048], rx[2048], want[2048];
	unsigned char peer[6], own[6];
	struct sockaddr_ll sll;
	struct tpacket_stats pst;
	struct ifreq ifr;
	unsigned char *seen;
	uint64_t t0, next, gap, last_rx, stall_start = 0, stall, longest = 0, quiet_ns;
	unsigned long sent = 0, received = 0, dup = 0, reordered = 0, corrupt = 0, retries = 0;
	long count, pps, size, first_lost = -1, last_lost = -1;
	uint32_t seq, highest = 0;
	bool any = false;
	socklen_t sl;
	int fd, one = 1, rcvbuf = 8 << 20;
	ssize_t n;

	if (argc != 7) {
		fprintf(stderr, "usage: %s IFNAME PEER_MAC COUNT PPS SIZE QUIET_SECS\n", argv[0]);
		return 2;
	}
	if (parse_mac(argv[2], peer) != 0) {
		fprintf(stderr, "vhacc-seq: bad MAC '%s'\n", argv[2]);
		return 2;
	}
	count = parse_num(argv[3], 1, 10000000, "count");
	pps = parse_num(argv[4], 1, 1000000, "rate");
	size = parse_num(argv[5], 64, 1514, "size");
	quiet_ns = (uint64_t)parse_num(argv[6], 1, 600, "quiet seconds") * 1000000000ULL;
	seen = calloc((size_t)count, 1);
	if (seen == NULL) {
		perror("vhacc-seq: calloc");
		return 1;
	}

	fd = socket(AF_PACKET, SOCK_RAW, htons(SEQ_ETHERTYPE));
	if (fd < 0) {
		perror("vhacc-seq: socket");
		return 1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0 || ioctl(fd, SIOCGIFINDEX, &ifr) != 0) {
		perror("vhacc-seq: interface");
		return 1;
	}
	/* SIOCGIFINDEX overwrote the union: read the address again */
	{
		struct ifreq a;

		memset(&a, 0, sizeof(a));
		snprintf(a.ifr_name, sizeof(a.ifr_name), "%s", argv[1]);
		if (ioctl(fd, SIOCGIFHWADDR, &a) != 0) {
			perror("vhacc-seq: SIOCGIFHWADDR");
			return 1;
		}
		memcpy(own, a.ifr_hwaddr.sa_data, 6);
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(SEQ_ETHERTYPE);
	sll.sll_ifindex = ifr.ifr_ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		perror("vhacc-seq: bind");
		return 1;
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) != 0) {
		perror("vhacc-seq: PACKET_QDISC_BYPASS");
		return 1;
	}
	/* SO_RCVBUFFORCE (root) lifts rmem_max; SO_RCVBUF is the fallback */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));

	printf("GUEST-SEQ: started count=%ld pps=%ld size=%ld\n", count, pps, size);
	fflush(stdout);
	gap = 1000000000ULL / (uint64_t)pps;
	t0 = now_ns();
	next = t0;
	last_rx = t0;
	for (;;) {
		uint64_t t = now_ns();
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int wait_ms;

		if (sent == (unsigned long)count &&
			(received == (unsigned long)count || t - last_rx > quiet_ns))
			break;
		/* send what is due (after a stall, start the schedule again) */
		if (t > next + 50000000ULL)
			next = t;
		while (sent < (unsigned long)count && next <= t) {
			build(tx, (size_t)size, peer, own, (uint32_t)sent);
			if (send(fd, tx, (size_t)size, MSG_DONTWAIT) == size) {
				if (stall_start != 0) {
					stall = t - stall_start;
					if (stall > longest)
						longest = stall;
					stall_start = 0;
				}
				sent++;
				next += gap;
				continue;
			}
			if (errno != ENOBUFS && errno != EAGAIN && errno != ENETDOWN &&
				errno != EINTR) {
				perror("vhacc-seq: send");
				return 1;
			}
			/* link down or ring full: the same frame again in 1 ms */
			retries++;
			if (stall_start == 0)
				stall_start = t;
			next = t + 1000000ULL;
			break;
		}
		wait_ms = 1;
		if (sent == (unsigned long)count)
			wait_ms = 100;
		if (poll(&pfd, 1, wait_ms) < 0 && errno != EINTR) {
			perror("vhacc-seq: poll");
			return 1;
		}
		while ((n = recv(fd, rx, sizeof(rx), MSG_DONTWAIT)) > 0) {
			last_rx = now_ns();
			if (n < HDR_LEN || memcmp(rx + 14, "VHSQ", 4) != 0) {
				corrupt++;
				continue;
			}
			memcpy(&seq, rx + 18, 4);
			seq = ntohl(seq);
			build(want, (size_t)size, own, peer, seq);
			if (seq >= (uint32_t)count || n != size ||
				memcmp(rx, want, (size_t)n) != 0) {
				corrupt++;
				continue;
			}
			if (seen[seq]) {
				dup++;
				continue;
			}
			seen[seq] = 1;
			received++;
			if (any && seq < highest)
				reordered++;
			if (!any || seq > highest)
				highest = seq;
			any = true;
		}
	}
	for (long i = 0; i < count; i++)
		if (!seen[i]) {
			if (first_lost < 0)
				first_lost = i;
			last_lost = i;
		}
	memset(&pst, 0, sizeof(pst));
	sl = sizeof(pst);
	getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &pst, &sl);
	printf("GUEST-SEQ: sent=%lu received=%lu lost=%lu dup=%lu reordered=%lu corrupt=%lu "
	       "retries=%lu sock_drops=%u first_lost=%ld last_lost=%ld longest_stall_ms=%llu "
	       "secs=%.1f\n",
		sent, received, (unsigned long)count - received, dup, reordered, corrupt, retries,
		pst.tp_drops, first_lost, last_lost, (unsigned long long)(longest / 1000000),
		(double)(now_ns() - t0) / 1e9);
	fflush(stdout);
	close(fd);
	free(seen);
	return 0;
}
