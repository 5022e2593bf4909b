/*
 * Shared by the fuzz targets: each target is one LLVMFuzzerTestOneInput,
 * built with libFuzzer (scripts/fuzz.sh, clang) or with replay.c, which
 * runs it over the files of a corpus (the unit suite: the seeds and every
 * input that once crashed stay regression tests).
 */
#ifndef VIGIL_TESTS_FUZZ_H
#define VIGIL_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A private folder for the target's files (tmpfs when there is one),
 * made once per process. */
const char *fuzz_dir(void);

/* Write size bytes to fuzz_dir()/name; returns the path (static). */
const char *fuzz_write(const char *name, const void *data, size_t size);

/* Logging off: inputs are expected to be wrong. */
void fuzz_quiet(void);

#endif
