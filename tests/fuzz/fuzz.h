/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h — the fuzz targets. Each takes any bytes: no crash, no leak, no
 * undefined behaviour, and what it promises (see each file) holds. `make
 * fuzz` links each into a libFuzzer binary (tests/fuzz/libfuzzer/main.c);
 * the test runner replays every corpus in tests/fuzz/corpus/TARGET/ with
 * them (tests/fuzz/replay.c).
 */
#ifndef BONDCHECK_FUZZ_H
#define BONDCHECK_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* the scenario parser (scenario_parse) */
int fuzz_scenario(const uint8_t *data, size_t size);
/* a run log as report and compare read it (logread, report, compare) */
int fuzz_logread(const uint8_t *data, size_t size);
/* a D-Bus message as we decode it (msg.c) and as the BlueZ mirror applies
 * it to its model (mirror_apply_signal, mirror_apply_objects) */
int fuzz_dbus(const uint8_t *data, size_t size);

#endif
