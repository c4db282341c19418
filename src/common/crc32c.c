/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * crc32c.c - CRC-32C (Castagnoli). See ps_crc32c.h.
 *
 * Portable path: slicing-by-8 over tables built on first use.
 * Hardware path: the SSE4.2 CRC32 instruction, 8 bytes at a time, compiled
 * with a target attribute so the rest of the build needs no -msse4.2, and
 * chosen at run time with __builtin_cpu_supports.
 */
#include "promsight/ps_crc32c.h"

#include <string.h>

#define CRC32C_POLY_REFLECTED 0x82F63B78u

static uint32_t crc_table[8][256];
static int crc_table_ready;
static int crc_use_hw = -1;

static void
build_tables(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ CRC32C_POLY_REFLECTED : c >> 1;
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^
                              crc_table[0][crc_table[t - 1][i] & 0xff];
    crc_table_ready = 1;
}

uint32_t
ps_crc32c_portable(uint32_t crc, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    if (!crc_table_ready)
        build_tables();
    crc = ~crc;
    while (n >= 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
                             (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
              crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
              crc_table[3][p[4]] ^ crc_table[2][p[5]] ^ crc_table[1][p[6]] ^
              crc_table[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n-- > 0)
        crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>

__attribute__((target("sse4.2"))) static uint32_t
crc32c_sse42(uint32_t crc, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    uint64_t c = ~crc;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = _mm_crc32_u64(c, w);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n-- > 0)
        c32 = _mm_crc32_u8(c32, *p++);
    return ~c32;
}

int
ps_crc32c_hw(void)
{
    if (crc_use_hw < 0) {
        __builtin_cpu_init();
        crc_use_hw = __builtin_cpu_supports("sse4.2") ? 1 : 0;
    }
    return crc_use_hw;
}

uint32_t
ps_crc32c_update(uint32_t crc, const void *p, size_t n)
{
    return ps_crc32c_hw() ? crc32c_sse42(crc, p, n)
                          : ps_crc32c_portable(crc, p, n);
}
#else
int
ps_crc32c_hw(void)
{
    (void)crc_use_hw;
    return 0;
}

uint32_t
ps_crc32c_update(uint32_t crc, const void *p, size_t n)
{
    return ps_crc32c_portable(crc, p, n);
}
#endif
