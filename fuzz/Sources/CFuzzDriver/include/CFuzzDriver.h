#ifndef CFUZZDRIVER_H
#define CFUZZDRIVER_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver entry point (compiler-rt, linked by -sanitize=fuzzer). SwiftPM renames an
/// executable's `main`, so libFuzzer's own `main` is not used; the target calls this instead.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
