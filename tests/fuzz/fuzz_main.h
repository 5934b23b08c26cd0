/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VHACC_FUZZ_MAIN_H
#define VHACC_FUZZ_MAIN_H

/*
 * The main() of a fuzz target built with VHACC_FUZZ_STANDALONE (no
 * libFuzzer): argv[1] iterations of pseudo-random inputs (default 20000), a
 * fixed sequence so that a smoke run is repeatable, or the files named on
 * the command line, each one input. Every input goes to
 * LLVMFuzzerTestOneInput(), as under libFuzzer.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_main {
	const char *name; /* for the summary line */
	uint8_t *buf;     /* room for one input */
	size_t max;       /* its size */
	size_t min_len;   /* random inputs: min_len .. min_len + span - 1 bytes */
	size_t span;
	/* optional: shape random input number `it` of n bytes (e.g. its first byte) */
	void (*shape)(uint8_t *buf, size_t n, long it);
};

static uint64_t
fuzz_xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int
fuzz_main(int argc, char **argv, const struct fuzz_main *m)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	long iters = 20000, it;
	int a;

	if (argc > 1 && argv[1][0] != '\0' && strspn(argv[1], "0123456789") == strlen(argv[1])) {
		iters = atol(argv[1]);
	} else if (argc > 1) {
		for (a = 1; a < argc; a++) {
			FILE *f = fopen(argv[a], "rb");
			size_t n;

			if (f == NULL) {
				perror(argv[a]);
				return 1;
			}
			n = fread(m->buf, 1, m->max, f);
			fclose(f);
			LLVMFuzzerTestOneInput(m->buf, n);
		}
		printf("%s: %d inputs ran\n", m->name, argc - 1);
		return 0;
	}
	for (it = 0; it < iters; it++) {
		size_t n = m->min_len + fuzz_xorshift(&seed) % m->span, i;

		if (n > m->max)
			n = m->max;
		for (i = 0; i < n; i++)
			m->buf[i] = (uint8_t)fuzz_xorshift(&seed);
		if (m->shape != NULL)
			m->shape(m->buf, n, it);
		LLVMFuzzerTestOneInput(m->buf, n);
	}
	printf("%s: %ld random inputs ran\n", m->name, iters);
	return 0;
}

#endif /* VHACC_FUZZ_MAIN_H */
