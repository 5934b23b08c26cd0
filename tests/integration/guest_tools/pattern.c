/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Deterministic pseudo-random bytes for the guest TCP test: the sending guest
 * pipes them into nc, the host runs the same program to compute the digest
 * the receiving guest must report. Built static by tests/integration/guest_lib.sh.
 *
 *   vhacc-pattern SEED BYTES     write BYTES bytes of the stream for SEED to stdout
 *
 * The stream: xorshift64* from state SEED * 0x9E3779B97F4A7C15 (never 0),
 * each step's 64-bit output written little-endian.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	static unsigned char buf[65536];
	unsigned long long seed, left;
	uint64_t x, r;
	char *end;
	size_t i, n;
	ssize_t w;

	if (argc != 3) {
		fprintf(stderr, "usage: %s SEED BYTES\n", argv[0]);
		return 1;
	}
	seed = strtoull(argv[1], &end, 10);
	if (*argv[1] == '\0' || *end != '\0') {
		fprintf(stderr, "%s: bad seed '%s'\n", argv[0], argv[1]);
		return 1;
	}
	left = strtoull(argv[2], &end, 10);
	if (*argv[2] == '\0' || *end != '\0') {
		fprintf(stderr, "%s: bad byte count '%s'\n", argv[0], argv[2]);
		return 1;
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
			w = write(STDOUT_FILENO, buf + i, n - i);
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w <= 0) {
				fprintf(stderr, "%s: write: %s\n", argv[0], strerror(errno));
				return 1;
			}
		}
		left -= n;
	}
	return 0;
}
