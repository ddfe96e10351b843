/* SPDX-License-Identifier: MIT */
/* fuzz.h — fuzz targets, also linked into the test runner for replays. */
#ifndef BONDCHECK_FUZZ_H
#define BONDCHECK_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
