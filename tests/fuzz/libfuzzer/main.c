/* SPDX-License-Identifier: MIT */
/*
 * main.c — libFuzzer's entry, built once per target with
 * -DFUZZ_TARGET=fuzz_NAME (make fuzz). Not part of the test runner.
 */
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return FUZZ_TARGET(data, size);
}
