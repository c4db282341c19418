/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ps_crc32c.h - CRC-32 with the Castagnoli polynomial (0x82F63B78
 * reflected), as Go's crc32.MakeTable(crc32.Castagnoli), which every
 * Prometheus on-disk format uses. Uses the SSE4.2 crc32 instruction when
 * the CPU has it (checked once at run time), else a slicing-by-8 table.
 */
#ifndef PS_CRC32C_H
#define PS_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC of [p, p+n), continuing from crc (start with 0). */
uint32_t ps_crc32c_update(uint32_t crc, const void *p, size_t n);

static inline uint32_t
ps_crc32c(const void *p, size_t n)
{
    return ps_crc32c_update(0, p, n);
}

/* The portable path alone, for tests that compare the two. */
uint32_t ps_crc32c_portable(uint32_t crc, const void *p, size_t n);

/* 1 if the hardware path is in use. */
int ps_crc32c_hw(void);

#endif
