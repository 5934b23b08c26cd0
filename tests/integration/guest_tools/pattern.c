/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Deterministic pseudo-random bytes for the guest TCP test: the sending guest
 * sends them to the receiving guest, the host runs the same program to
 * compute the digest the receiving guest must report. Built static by
 * tests/integration/guest_lib.sh.
 *
 *   vhacc-pattern SEED BYTES             write the stream for SEED to stdout
 *   vhacc-pattern SEED BYTES ADDR PORT   connect to ADDR (IPv4 or IPv6
 *                                        literal) and send it there
 *
 * The stream: xorshift64* from state SEED * 0x9E3779B97F4A7C15 (never 0),
 * each step's 64-bit output written little-endian.
 *
 * The sender writes 64 KiB at a time straight into the socket, so that the
 * kernel has whole TSO frames to send even when the guest's CPU (TCG) is
 * slower than the network: through a pipe and busybox nc the socket got a
 * few KiB per write and the frames on the wire were mostly MSS-sized.
 *
 * Exit status: 0 all sent (and the connection closed), 1 connection refused
 * (the receiver does not listen yet: the caller retries), 2 usage, 3 any
 * other error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int
parse_u64(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return *s == '\0' || *end != '\0' || errno != 0 ? -1 : 0;
}

/* A connected TCP socket to addr:port, or -1 with errno set. */
static int
connect_to(const char *addr, unsigned long long port)
{
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
	struct sockaddr_in a4 = {.sin_family = AF_INET};
	struct sockaddr *sa;
	socklen_t len;
	int fd, err;

	if (inet_pton(AF_INET, addr, &a4.sin_addr) == 1) {
		a4.sin_port = htons((uint16_t)port);
		sa = (struct sockaddr *)&a4;
		len = sizeof(a4);
	} else if (inet_pton(AF_INET6, addr, &a6.sin6_addr) == 1) {
		a6.sin6_port = htons((uint16_t)port);
		sa = (struct sockaddr *)&a6;
		len = sizeof(a6);
	} else {
		errno = EINVAL;
		return -1;
	}
	fd = socket(sa->sa_family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, sa, len) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

int
main(int argc, char **argv)
{
	static unsigned char buf[65536];
	unsigned long long seed, left, port = 0;
	int fd = STDOUT_FILENO;
	uint64_t x, r;
	size_t i, n;
	ssize_t w;

	if ((argc != 3 && argc != 5) || parse_u64(argv[1], &seed) < 0 ||
		parse_u64(argv[2], &left) < 0 ||
		(argc == 5 && (parse_u64(argv[4], &port) < 0 || port == 0 || port > 65535))) {
		fprintf(stderr, "usage: %s SEED BYTES [ADDR PORT]\n", argv[0]);
		return 2;
	}
	if (argc == 5) {
		fd = connect_to(argv[3], port);
		if (fd < 0) {
			fprintf(stderr, "%s: connect %s port %llu: %s\n", argv[0], argv[3], port,
				strerror(errno));
			return errno == ECONNREFUSED ? 1 : 3;
		}
	}
	x = (uint64_t)seed * 0x9E3779B97F4A7C15ULL;
	if (x == 0)
		x = 1;
	while (left > 0) {
		n = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		for (i = 0; i < n; i += 8) {
			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			r = x * 0x2545F4914F6CDD1DULL;
			for (unsigned int b = 0; b < 8; b++)
				buf[i + b] = (unsigned char)(r >> (8 * b));
		}
		for (i = 0; i < n; i += (size_t)w) {
			w = write(fd, buf + i, n - i);
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w <= 0) {
				fprintf(stderr, "%s: write: %s\n", argv[0], strerror(errno));
				return 3;
			}
		}
		left -= n;
	}
	if (fd != STDOUT_FILENO && close(fd) < 0) {
		fprintf(stderr, "%s: close: %s\n", argv[0], strerror(errno));
		return 3;
	}
	return 0;
}
